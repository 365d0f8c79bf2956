package main

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
)

// ingress stands in for the mesh's ingress gateway: each request starts a
// trace whose sampling decision travels in B3 headers, as
// Envoy's Zipkin tracer sends them. The sampled requests are spread
// evenly: request n is sampled when n*percent/100 passes a whole number.
type ingress struct {
	percent float64
	n       atomic.Uint64
}

// inject sets the next request's B3 headers: a new trace, sampled or not.
func (g *ingress) inject(h http.Header) {
	n := g.n.Add(1)
	sampled := "0"
	if math.Floor(float64(n)*g.percent/100) != math.Floor(float64(n-1)*g.percent/100) {
		sampled = "1"
	}
	var id [24]byte
	binary.BigEndian.PutUint64(id[0:], rand.Uint64())
	binary.BigEndian.PutUint64(id[8:], rand.Uint64())
	binary.BigEndian.PutUint64(id[16:], rand.Uint64()|1) // a span ID is never zero
	h.Set("X-B3-Traceid", hex.EncodeToString(id[:16]))
	h.Set("X-B3-Spanid", hex.EncodeToString(id[16:]))
	h.Set("X-B3-Sampled", sampled)
}

// get sends one request with the stand-in ingress's trace headers and
// reads the whole answer.
func get(client *http.Client, url string, caller *ingress) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	caller.inject(req.Header)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
