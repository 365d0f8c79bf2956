package utils

import "testing"

// The loopback check must catch every way a socket can leave 127.0.0.0/8,
// or the e2e socket test proves nothing.
func TestParseSSOnLoopback(t *testing.T) {
	const out = `tcp LISTEN 0 4096 127.0.0.1:16443 0.0.0.0:* users:(("kube-apiserver",pid=10,fd=3))
tcp ESTAB 0 0 127.0.0.1:46698 127.0.0.1:16443 users:(("kwok",pid=11,fd=7))
tcp ESTAB 0 0 [::ffff:127.0.0.1]:16443 [::ffff:127.0.0.1]:5000 users:(("kube-apiserver",pid=10,fd=9))
tcp LISTEN 0 4096 0.0.0.0:10250 0.0.0.0:* users:(("kwok",pid=11,fd=8))
tcp LISTEN 0 4096 *:10257 *:* users:(("kube-controller",pid=12,fd=3))
tcp SYN-SENT 0 1 127.0.0.1:5000 192.0.2.9:443 users:(("kube-apiserver",pid=10,fd=11))
tcp ESTAB 0 0 192.0.2.2:5001 127.0.0.1:443 users:(("kube-apiserver",pid=10,fd=12))
tcp LISTEN 0 4096 [::1]:2379 [::]:* users:(("etcd",pid=13,fd=3))
udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* users:(("etcd",pid=13,fd=4))
tcp LISTEN 0 4096 127.0.0.1:9999 0.0.0.0:* users:(("other",pid=99,fd=3))
tcp ESTAB 0 0 127.0.0.1:5002 127.0.0.1:80 users:(("a",pid=10,fd=13),("b",pid=12,fd=4))
`
	socks := ParseSS(out, map[int]bool{10: true, 11: true, 12: true, 13: true})
	want := []bool{true, true, true, false, false, false, false, false, true, true, true}
	if len(socks) != len(want) {
		t.Fatalf("parsed %d sockets, want %d: %v", len(socks), len(want), socks)
	}
	for i, s := range socks {
		if got := s.OnLoopback(); got != want[i] {
			t.Errorf("%s: OnLoopback = %v, want %v", s, got, want[i])
		}
	}
}
