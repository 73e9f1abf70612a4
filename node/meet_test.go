package node_test

import (
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/node"
)

// The core's tests meet nodes through the mesh, above the core.
func init() { node.MeetWithin = nodetest.MeetWithin }
