// NIP-77 with nostr-tools' negentropy implementation, in both roles.
//
//   node nip77.mjs client WS_URL EVENTS.json
//       holds the events in EVENTS.json, reconciles with the relay at WS_URL
//       (filter {}), prints {"haves": [...], "needs": [...]}: what it has that
//       the relay lacks, and what the relay has that it lacks.
//
//   node nip77.mjs server EVENTS.json OUT.json
//       a minimal relay on stdin/stdout (one JSON message per line):
//       answers NEG-OPEN/NEG-MSG with nostr-tools' Negentropy, REQ by ids,
//       and stores EVENTs that verify. At end of input writes the ids it
//       holds to OUT.json.
//
//       nostr-tools' Negentropy plays the server only in part: it answers
//       fingerprints, but an IdList range gets no IdList back (the reference
//       server replies with its own ids), so the other side must hold at
//       least 32 events in each range it asks about. See docs/interop.md.
import { readFileSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { verifyEvent } from 'nostr-tools/pure'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import { nip77 } from 'nostr-tools'
const { Negentropy, NegentropyStorageVector, NegentropySync } = nip77
import WebSocket from 'ws'

useWebSocketImplementation(WebSocket)
const [mode, ...args] = process.argv.slice(2)

function storageOf(events) {
  const s = new NegentropyStorageVector()
  for (const ev of events) s.insert(ev.created_at, ev.id)
  s.seal()
  return s
}

if (mode === 'client') {
  const [url, file] = args
  const events = JSON.parse(readFileSync(file, 'utf8'))
  const relay = await Relay.connect(url)
  const haves = [], needs = []
  await new Promise((resolve, reject) => {
    const sync = new NegentropySync(relay, storageOf(events), {}, {
      onhave: (id) => haves.push(id),
      onneed: (id) => needs.push(id),
      onclose: (err) => (err ? reject(new Error(err)) : resolve()),
    })
    sync.start()
    setTimeout(() => reject(new Error('timed out')), 30000)
  })
  relay.close()
  console.log(JSON.stringify({ haves, needs }))
  process.exit(0)
}

if (mode === 'server') {
  const [file, out] = args
  const held = new Map()
  for (const ev of JSON.parse(readFileSync(file, 'utf8'))) held.set(ev.id, ev)
  const negs = new Map()
  const send = (msg) => process.stdout.write(JSON.stringify(msg) + '\n')
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of rl) {
    if (!line.trim()) continue
    let msg
    try {
      msg = JSON.parse(line)
    } catch {
      send(['NOTICE', 'invalid: not JSON'])
      continue
    }
    const [label, sub] = msg
    switch (label) {
      case 'NEG-OPEN': {
        // The filter is not applied: this relay holds only what it was given.
        const neg = new Negentropy(storageOf([...held.values()]))
        negs.set(sub, neg)
        // reconcile returns null when it has nothing to add; on the wire
        // that is a message of just the version byte.
        send(['NEG-MSG', sub, neg.reconcile(msg[3]) ?? '61'])
        break
      }
      case 'NEG-MSG': {
        const neg = negs.get(sub)
        if (!neg) send(['NEG-ERR', sub, 'closed: unknown subscription'])
        else send(['NEG-MSG', sub, neg.reconcile(msg[2]) ?? '61'])
        break
      }
      case 'NEG-CLOSE':
        negs.delete(sub)
        break
      case 'REQ':
        for (const f of msg.slice(2)) for (const id of f.ids || []) if (held.has(id)) send(['EVENT', sub, held.get(id)])
        send(['EOSE', sub])
        break
      case 'EVENT': {
        const ev = msg[1]
        const ok = verifyEvent(ev)
        if (ok) held.set(ev.id, ev)
        send(['OK', ev.id, ok, ok ? '' : 'invalid: bad signature'])
        break
      }
    }
  }
  writeFileSync(out, JSON.stringify([...held.keys()]))
  process.exit(0)
}

console.error('usage: node nip77.mjs client URL EVENTS.json | server EVENTS.json OUT.json')
process.exit(2)
