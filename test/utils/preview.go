package utils

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// PlannedChanges runs a preview and returns the operation it plans for each
// resource URN, leaving out the resources it would leave alone ("same").
func PlannedChanges(ctx context.Context, s auto.Stack, opts ...optpreview.Option) (map[string]apitype.OpType, error) {
	ch := make(chan events.EngineEvent)
	ops := map[string]apitype.OpType{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range ch {
			if ev.ResourcePreEvent != nil && ev.ResourcePreEvent.Metadata.Op != apitype.OpSame {
				ops[ev.ResourcePreEvent.Metadata.URN] = ev.ResourcePreEvent.Metadata.Op
			}
		}
	}()
	_, err := s.Preview(ctx, append(opts, optpreview.EventStreams(ch))...)
	<-done
	return ops, err
}
