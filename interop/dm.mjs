// NIP-17 private messages with nostr-tools (nip17, nip59, nip44), in both
// directions, through a Caravan node's relay endpoint.
//
// usage: node dm.mjs WS_URL NODE_PUBKEY
//
// Prints its own public key on the first line of standard output, sends
// the node a gift-wrapped message, then waits for a wrapped reply from the
// node's key, unwraps it and prints "reply: <text>". Exits 1 on failure.
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import { nip17 } from 'nostr-tools'
import WebSocket from 'ws'

useWebSocketImplementation(WebSocket)
const [url, nodeKey] = process.argv.slice(2)
const fail = (m) => {
  console.error('dm interop failure: ' + m)
  process.exit(1)
}
const sk = generateSecretKey()
const pk = getPublicKey(sk)
console.log(pk)

const relay = await Relay.connect(url)
const reply = new Promise((resolve, reject) => {
  relay.subscribe([{ kinds: [1059], '#p': [pk] }], {
    onevent(wrap) {
      let rumor
      try {
        rumor = nip17.unwrapEvent(wrap, sk)
      } catch (e) {
        return reject(new Error('cannot unwrap a wrap addressed to us: ' + e.message))
      }
      if (rumor.kind === 1409) return // Caravan's delivery receipt
      if (rumor.pubkey !== nodeKey) return reject(new Error('reply from ' + rumor.pubkey + ', want ' + nodeKey))
      if (rumor.kind !== 14) return reject(new Error('reply of kind ' + rumor.kind))
      resolve(rumor.content)
    },
  })
  setTimeout(() => reject(new Error('no reply in 30 s')), 30000)
})

const wrap = nip17.wrapEvent(sk, { publicKey: nodeKey, relayUrl: url }, 'Salem from nostr-tools! ✓', 'interop')
await relay.publish(wrap)
try {
  console.log('reply: ' + (await reply))
} catch (e) {
  fail(e.message)
}
relay.close()
process.exit(0)
