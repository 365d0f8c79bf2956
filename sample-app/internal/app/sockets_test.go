package app_test

import (
	"net"
	"os"
	"strings"
	"testing"
)

// The loopback check of the Jaeger test is only as good as its /proc
// parsing; these tests pin it down.

func TestParseSocketTable(t *testing.T) {
	const table = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0
   1: 00000000:4E20 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 100 0 0 10 0
   2: 0F0200C0:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0 100 0 0 10 0
   3: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1004 1
   4: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1005 1
`
	entries, err := parseSocketTable(strings.NewReader(table))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		ip       string
		port     int
		state    string
		inode    string
		loopback bool
	}{
		{"127.0.0.1", 8080, "0A", "1001", true},
		{"0.0.0.0", 20000, "0A", "1002", false},
		{"192.0.2.15", 50000, "01", "1003", false},
		{"::1", 8081, "0A", "1004", true},
		{"::", 8082, "0A", "1005", false},
	}
	if len(entries) != len(want) {
		t.Fatalf("parsed %d entries, want %d", len(entries), len(want))
	}
	for i, w := range want {
		e := entries[i]
		if e.ip.String() != w.ip || e.port != w.port || e.state != w.state || e.inode != w.inode || e.ip.IsLoopback() != w.loopback {
			t.Errorf("entry %d = %s:%d %s %s (loopback %v), want %+v", i, e.ip, e.port, e.state, e.inode, e.ip.IsLoopback(), w)
		}
	}
}

func TestSocketInodesFindOwnListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	inodes := socketInodes(t, os.Getpid())
	for _, e := range readSocketTable(t, "tcp") {
		if inodes[e.inode] && e.state == "0A" && e.port == port {
			if !e.ip.IsLoopback() {
				t.Errorf("own listener reported on %s", e.ip)
			}
			return
		}
	}
	t.Errorf("own listener on port %d not found through /proc", port)
}
