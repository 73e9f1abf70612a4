// A Nostr app (nostr-tools, an independent implementation) reads a
// Caravan report and writes a translation of it the way docs/reports.md
// describes, against a Caravan node's relay endpoint.
//
// usage: node report.mjs WS_URL NADDR
//
// Prints one JSON line {"translation": id} on success; exits 1 with a
// message on the first failed check.
import { finalizeEvent, generateSecretKey, verifyEvent } from 'nostr-tools/pure'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import * as nip19 from 'nostr-tools/nip19'
import WebSocket from 'ws'

useWebSocketImplementation(WebSocket)

const [url, naddr] = process.argv.slice(2)
const fail = (msg) => {
  console.error('interop failure: ' + msg)
  process.exit(1)
}

function query(relay, filter) {
  return new Promise((resolve) => {
    const got = []
    const sub = relay.subscribe([filter], {
      onevent: (ev) => got.push(ev),
      oneose: () => {
        sub.close()
        resolve(got)
      },
    })
  })
}

const tag = (ev, name) => (ev.tags.find((t) => t[0] === name) || [])[1]

try {
  // Our naddr decodes to the report's kind, author and d tag.
  const { type, data } = nip19.decode(naddr)
  if (type !== 'naddr' || data.kind !== 30023) fail('naddr decodes to ' + type + ' kind ' + data.kind)
  const relay = await Relay.connect(url)
  const [report] = await query(relay, { kinds: [30023], authors: [data.pubkey], '#d': [data.identifier] })
  if (!report) fail('the report is not found by its address')
  if (!verifyEvent(report)) fail('the report does not verify')
  if (tag(report, 'title') !== 'Protesta en Almaty') fail('title: ' + tag(report, 'title'))
  const label = report.tags.find((t) => t[0] === 'l')
  if (!label || label[1] !== 'es' || label[2] !== 'ISO-639-1') fail('language label: ' + JSON.stringify(label))
  if (!report.tags.some((t) => t[0] === 'L' && t[1] === 'ISO-639-1')) fail('no L namespace tag')
  const imeta = report.tags.find((t) => t[0] === 'imeta')
  if (!imeta || !imeta.some((f) => /^x [0-9a-f]{64}$/.test(f)) || !imeta.some((f) => f.startsWith('url '))) {
    fail('imeta: ' + JSON.stringify(imeta))
  }

  // A translation written by the convention, as another app would.
  const address = `30023:${report.pubkey}:${data.identifier}`
  const tr = finalizeEvent(
    {
      kind: 30023,
      created_at: Math.floor(Date.now() / 1000),
      content: 'Police closed the streets.',
      tags: [
        ['d', 'translation-en'],
        ['title', 'Protest in Almaty'],
        ['L', 'ISO-639-1'],
        ['l', 'en', 'ISO-639-1'],
        ['a', address, '', 'translation-of'],
        ['e', report.id, '', 'translation-of'],
        ['p', report.pubkey],
      ],
    },
    generateSecretKey(),
  )
  await relay.publish(tr)
  // Translations are found by the report's address.
  const found = await query(relay, { kinds: [30023], '#a': [address] })
  if (!found.some((ev) => ev.id === tr.id)) fail('the translation is not found by #a')
  relay.close()
  console.log(JSON.stringify({ translation: tr.id }))
  process.exit(0)
} catch (e) {
  fail(e.message || String(e))
}
