package server

import (
	"context"
	"testing"
	"time"
)

// timerNotFired is a context whose deadline has passed while its timer
// has not yet cancelled it: the window in which gRPC-Go, reading the
// clock, already reports DeadlineExceeded.
type timerNotFired struct {
	context.Context
	deadline time.Time
}

func (c timerNotFired) Deadline() (time.Time, bool) { return c.deadline, true }

func TestDeadlineReached(t *testing.T) {
	expired, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	ahead, cancelAhead := context.WithTimeout(context.Background(), time.Hour)
	defer cancelAhead()
	tests := []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"no deadline", context.Background(), false},
		{"deadline ahead", ahead, false},
		{"deadline passed and context done", expired, true},
		{"deadline passed, timer not yet fired", timerNotFired{context.Background(), time.Now().Add(-time.Millisecond)}, true},
		{"deadline ahead, timer not yet fired", timerNotFired{context.Background(), time.Now().Add(time.Hour)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := deadlineReached(tt.ctx); got != tt.want {
				t.Errorf("deadlineReached = %v, want %v", got, tt.want)
			}
		})
	}
}
