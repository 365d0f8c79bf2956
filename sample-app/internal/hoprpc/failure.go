package hoprpc

import (
	"encoding/json"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A hop whose own next hop failed answers with a status whose details hold
// its JSON error body (a BytesValue), the body it would answer over HTTP.
// The caller nests that body as "downstream", so a failure deep in the
// chain stays visible at its head with the hop that saw it named, exactly
// as over HTTP. A status without such a body did not come from a hop's
// handler: the transport, the peer's xDS filters (RBAC, fault injection)
// or a server that is not a hop made it.

// FailureStatus is the status a hop answers when its next hop failed: code
// and message say what happened at this hop, body is its JSON error answer.
func FailureStatus(code codes.Code, message string, body []byte) *status.Status {
	st := status.New(code, message)
	if withBody, err := st.WithDetails(wrapperspb.Bytes(body)); err == nil {
		return withBody
	}
	// WithDetails fails only for codes.OK, which is no failure.
	return st
}

// FailureBody returns the JSON error body a hop put in st, if any.
func FailureBody(st *status.Status) (json.RawMessage, bool) {
	for _, d := range st.Details() {
		if b, ok := d.(*wrapperspb.BytesValue); ok && json.Valid(b.GetValue()) {
			return b.GetValue(), true
		}
	}
	return nil, false
}
