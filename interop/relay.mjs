// Drives a Caravan node's relay endpoint with nostr-tools, an independent
// Nostr implementation, the way a Nostr app would.
//
// usage: node relay.mjs WS_URL CARAVAN_EVENT_ID
//
// Prints one JSON line {"published": [ids...]} on success; exits 1 with a
// message on the first failed check.
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import { fetchRelayInformation } from 'nostr-tools/nip11'
import WebSocket from 'ws'

useWebSocketImplementation(WebSocket)

const [url, caravanEventID] = process.argv.slice(2)
const fail = (msg) => {
  console.error('interop failure: ' + msg)
  process.exit(1)
}
const timeout = (ms, what) =>
  new Promise((_, reject) => setTimeout(() => reject(new Error('timed out: ' + what)), ms))

// Subscribe and collect stored events until EOSE.
function query(relay, filters) {
  return Promise.race([
    new Promise((resolve, reject) => {
      const got = []
      const sub = relay.subscribe(filters, {
        onevent: (ev) => got.push(ev),
        oninvalidevent: (ev) => reject(new Error('relay sent an event that does not verify: ' + JSON.stringify(ev))),
        oneose: () => {
          resolve(got)
          sub.close()
        },
        onclose: (reason) => reject(new Error('subscription closed: ' + reason)),
      })
    }),
    timeout(10000, 'query ' + JSON.stringify(filters)),
  ])
}

const relay = await Relay.connect(url)
const sk = generateSecretKey()
const pk = getPublicKey(sk)
const now = Math.floor(Date.now() / 1000)
const published = []

// 1. Publish: the relay answers OK true.
const note = finalizeEvent({ kind: 1, created_at: now - 5, tags: [['t', 'caravan']], content: 'hello from nostr-tools ✓' }, sk)
await relay.publish(note)
published.push(note.id)

// 2. Query it back by id, by author and kind, and by tag.
for (const f of [{ ids: [note.id] }, { authors: [pk], kinds: [1] }, { '#t': ['caravan'] }]) {
  const got = await query(relay, [f])
  if (!got.some((e) => e.id === note.id)) fail('query ' + JSON.stringify(f) + ' did not return the published note')
}

// 3. An event signed by Caravan verifies in nostr-tools.
const fromCaravan = await query(relay, [{ ids: [caravanEventID] }])
if (fromCaravan.length !== 1 || !verifyEvent(fromCaravan[0])) fail('the Caravan-signed event is missing or does not verify')

// 4. Live: an open subscription receives a new event after EOSE.
const live = await Promise.race([
  new Promise((resolve, reject) => {
    let eosed = false
    const sub = relay.subscribe([{ authors: [pk], kinds: [7] }], {
      onevent: (ev) => {
        if (!eosed) return reject(new Error('got a kind 7 event before any was published'))
        resolve(ev)
        sub.close()
      },
      oneose: async () => {
        eosed = true
        const reaction = finalizeEvent({ kind: 7, created_at: now, tags: [['e', note.id], ['p', pk]], content: '+' }, sk)
        published.push(reaction.id)
        // Publish through a second connection, as another app would.
        const other = await Relay.connect(url)
        await other.publish(reaction)
        other.close()
      },
    })
  }),
  timeout(10000, 'live event'),
])
if (live.kind !== 7) fail('live event has kind ' + live.kind)

// 5. A bad signature is refused with OK false and a reason.
const forged = finalizeEvent({ kind: 1, created_at: now, tags: [], content: 'forged' }, sk)
forged.sig = forged.sig.replace(/^./, (c) => (c === '0' ? '1' : '0'))
try {
  await relay.publish(forged)
  fail('a forged signature was accepted')
} catch (err) {
  if (!String(err.message).startsWith('invalid:')) fail('forged event refused without an invalid: reason: ' + err.message)
}

// 6. NIP-11 over HTTP.
const info = await fetchRelayInformation(url.replace(/^ws/, 'http'))
if (!info.supported_nips?.includes(1) || !info.limitation?.max_message_length) fail('NIP-11 document: ' + JSON.stringify(info))

relay.close()
console.log(JSON.stringify({ published }))
process.exit(0)
