// Agora's addition to FerretDB 1.x, compiled into the local build by ferretdb.sh.
//
// FerretDB 1.x with the SQLite backend runs each update as read, modify in Go, write
// back, with nothing stopping two connections from interleaving: concurrent $inc
// calls lose increments and two conditional updates of one document can both
// succeed. MongoDB guarantees that a single-document write is atomic, and Agora's
// outbox leases, idempotency checks and counters rely on it. Serialising the
// commands that modify data restores that guarantee on the local test server.

package handler

import (
	"context"
	"sync"

	"github.com/FerretDB/wire"
)

var agoraWriteLock sync.Mutex

// agoraSerialiseWrites wraps every data-modifying command in one process-wide lock.
func (h *Handler) agoraSerialiseWrites() {
	for _, name := range []string{
		"insert", "update", "delete", "findAndModify", "findandmodify",
		"create", "createIndexes", "drop", "dropDatabase", "dropIndexes", "renameCollection",
	} {
		cmd := h.commands[name]
		if cmd == nil || cmd.Handler == nil {
			continue
		}
		next := cmd.Handler
		cmd.Handler = func(ctx context.Context, msg *wire.OpMsg) (*wire.OpMsg, error) {
			agoraWriteLock.Lock()
			defer agoraWriteLock.Unlock()
			return next(ctx, msg)
		}
	}
}
