package event

import "fmt"

// The event kinds this project writes, reads or treats specially. Every
// kind number used outside tests is named here, so that the list is in
// one place (internal/deptest checks that no other package writes one as
// a number).
const (
	KindProfile      = 0     // NIP-01 user metadata (a profile)
	KindTextNote     = 1     // NIP-01 short text note
	KindFollowList   = 3     // NIP-02 follow (contact) list
	KindDeletion     = 5     // NIP-09 deletion request
	KindReaction     = 7     // NIP-25 reaction
	KindSeal         = 13    // NIP-59 seal
	KindChat         = 14    // NIP-17 chat message
	KindFile         = 15    // NIP-17 file message
	KindGiftWrap     = 1059  // NIP-59 gift wrap
	KindFileMetadata = 1063  // NIP-94 file metadata
	KindReceipt      = 1409  // Caravan: delivery receipt ("e" tags name the messages); see docs/extensions.md
	KindBlossomAuth  = 24242 // Blossom (BUD-01) authorization
	KindAuth         = 22242 // NIP-42 client authentication, sent in AUTH messages only (never stored nor relayed)
	KindBundleProof  = 27301 // Caravan: a bundle maker's signed proof, ephemeral (never stored); see docs/bundles.md
	KindReport       = 30023 // NIP-23 long-form content: a report
	KindDraft        = 30024 // NIP-23 long-form draft
)

// MaxKind is the largest kind NIP-01 allows; kinds run from 0 to it.
const MaxKind = 65535

// ValidKind reports whether k is within NIP-01's range of kinds.
func ValidKind(k int) bool { return k >= 0 && k <= MaxKind }

// KindName is a kind in words, for people: "notes", "reports"; a kind
// without a name is "kind N".
func KindName(k int) string {
	switch k {
	case KindProfile:
		return "profiles"
	case KindTextNote:
		return "notes"
	case KindFollowList:
		return "contact lists"
	case KindDeletion:
		return "deletions"
	case KindReaction:
		return "reactions"
	case KindGiftWrap:
		return "private messages"
	case KindReport:
		return "reports"
	}
	return fmt.Sprintf("kind %d", k)
}
