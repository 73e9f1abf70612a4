// A phone at a Caravan node, as nostr-tools sees it: a web page (it sends
// an Origin header), so the node serves it gift wraps only once it has
// authenticated (NIP-42) as their recipient.
//
// usage: node guest.mjs WS_URL NODE_PUBKEY
//
// Prints its public key, then waits for a line on standard input (the
// node has sent it a message by then). It asks for its wraps without
// authenticating and prints "closed: <reason>"; authenticates with
// nostr-tools' relay.auth; asks again, unwraps and prints "got: <text>";
// sends the node a gift-wrapped answer and prints "sent". Exits 1 on
// failure.
import { generateSecretKey, getPublicKey, finalizeEvent } from 'nostr-tools/pure'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import { nip17 } from 'nostr-tools'
import WebSocket from 'ws'
import readline from 'node:readline'

class PageSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { origin: 'http://phone.example' })
  }
}
useWebSocketImplementation(PageSocket)

const [url, nodeKey] = process.argv.slice(2)
const fail = (m) => {
  console.error('guest interop failure: ' + m)
  process.exit(1)
}
setTimeout(() => fail('not done in 60 s'), 60000).unref()
const sk = generateSecretKey()
const pk = getPublicKey(sk)
console.log(pk)
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]()
await lines.next()

const relay = await Relay.connect(url)
const wraps = { kinds: [1059], '#p': [pk] }
const closed = await new Promise((resolve) => {
  relay.subscribe([wraps], {
    onevent: () => fail('a wrap was served before AUTH'),
    oneose: () => fail('wraps were listed before AUTH'),
    onclose: resolve,
  })
})
console.log('closed: ' + closed)

await relay.auth((evt) => finalizeEvent(evt, sk))
const text = await new Promise((resolve, reject) => {
  relay.subscribe([wraps], {
    onevent(wrap) {
      let rumor
      try {
        rumor = nip17.unwrapEvent(wrap, sk)
      } catch (e) {
        return reject(new Error('cannot unwrap a wrap addressed to us: ' + e.message))
      }
      if (rumor.pubkey === nodeKey && rumor.kind === 14) resolve(rumor.content)
    },
    oneose: () => {},
    onclose: (reason) => reject(new Error('closed after AUTH: ' + reason)),
  })
}).catch((e) => fail(e.message))
console.log('got: ' + text)

await relay.publish(nip17.wrapEvent(sk, { publicKey: nodeKey, relayUrl: url }, 'Salem from a phone', 'guest')).catch((e) => fail('publish: ' + e.message))
console.log('sent')
relay.close()
process.exit(0)
