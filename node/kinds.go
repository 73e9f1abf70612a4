package node

// Report kinds, which the core's serving and sync still name.
const (
	KindReport = 30023
	KindDraft  = 30024
)
