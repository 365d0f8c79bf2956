package server

import (
	"context"
	"encoding/json"
	"net/http"
)

// serviceInfo is the hop's answer. The first four keys are the tutorial's
// contract and keep its exact spelling; unset discovery variables encode
// as null, like the Python version's None. VERSION comes after them and
// only with SERVICE_VERSION set, so the tutorial's answer stays as it was
// where versions are not used.
type serviceInfo struct {
	ServiceType string  `json:"SERVICE_TYPE"`
	ServiceHost *string `json:"SERVICE_HOST"`
	ServicePort *string `json:"SERVICE_PORT"`
	DNSName     string  `json:"DNS_NAME"`
	Version     string  `json:"VERSION,omitempty"`
}

// errorResponse is the body of every error answer. Hop names the service
// that answered; Next the hop it tried to call.
type errorResponse struct {
	Error  string `json:"error"`
	Hop    string `json:"hop"`
	Next   string `json:"next,omitempty"`
	Path   string `json:"path,omitempty"`
	Method string `json:"method,omitempty"`
	// GRPCCode names the gRPC status code the call to the next hop ended
	// with (TRANSPORT=grpc), e.g. PermissionDenied; Error keeps its message.
	GRPCCode string `json:"grpc_code,omitempty"`
	// DownstreamStatus and Downstream carry the next hop's own error answer,
	// so a failure deep in the chain stays visible at its head.
	DownstreamStatus int             `json:"downstream_status,omitempty"`
	Downstream       json.RawMessage `json:"downstream,omitempty"`
}

// statusWaitingForXDS is /readyz's status while the xDS gRPC server has no
// serving listener from istiod.
const statusWaitingForXDS = "waiting for xDS: gRPC listener not serving"

type statusResponse struct {
	Status string `json:"status"`
}

// handleRoot answers GET / with the hop's own identity.
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	body := s.buildResponse(r.Context())
	writeJSONBytes(w, http.StatusOK, body)
}

// buildResponse is the hop's own work, in a child span of the server span
// (HTTP or gRPC).
func (s *Server) buildResponse(ctx context.Context) []byte {
	_, span := s.tracer.Start(ctx, "build-response")
	defer span.End()
	body, err := json.Marshal(serviceInfo{
		ServiceType: s.cfg.ServiceType,
		ServiceHost: s.cfg.ServiceHost,
		ServicePort: s.cfg.ServicePort,
		DNSName:     s.cfg.DNSName(),
		Version:     s.cfg.ServiceVersion,
	})
	if err != nil {
		// Strings and string pointers always marshal.
		panic("marshal service info: " + err.Error())
	}
	return body
}

// handleService answers GET /service: the next hop's answer when there is
// one (so A returns C's JSON), else the hop's own. The next hop is called
// over the configured transport; hopService is the same over gRPC.
func (s *Server) handleService(w http.ResponseWriter, r *http.Request) {
	if s.next == nil {
		s.handleRoot(w, r)
		return
	}
	body, failure := s.callNext(r.Context())
	if failure != nil {
		s.writeJSON(w, r, failure.status, s.failureResponse(failure))
		return
	}
	writeJSONBytes(w, http.StatusOK, body)
}

// handleHealthz is the liveness probe: the process serves HTTP.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, statusResponse{Status: "ok"})
}

// handleReadyz is the readiness probe. It does not check the next hop: a
// broken C must not take A and B out of their Services too. It does wait
// for the gRPC server's listener from xDS, which is this hop's own port.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	switch {
	case s.draining.Load():
		s.writeJSON(w, r, http.StatusServiceUnavailable, statusResponse{Status: "draining"})
		return
	case !s.xdsServingOrUnused():
		s.writeJSON(w, r, http.StatusServiceUnavailable, statusResponse{Status: statusWaitingForXDS})
		return
	}
	s.writeJSON(w, r, http.StatusOK, statusResponse{Status: "ready"})
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusNotFound, errorResponse{
		Error: "not found", Hop: s.cfg.ServiceType, Path: r.URL.Path,
	})
}

// writeJSON encodes v; only our own response types are passed, which
// always encode.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.log.ErrorContext(r.Context(), "encode response", "error", err)
		status, body = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	writeJSONBytes(w, status, body)
}

func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body) // A failed write means the client is gone; nothing to do.
}
