package verify

import (
	"strings"
	"testing"

	"github.com/prometheus/common/model"
)

func TestJudgeIstiodScrapes(t *testing.T) {
	up := func(pod, job string, value float64) *model.Sample {
		m := model.Metric{"app": "istiod", "namespace": "istio-system", "job": model.LabelValue(job)}
		if pod != "" {
			m["pod"] = model.LabelValue(pod)
		}
		return &model.Sample{Metric: m, Value: model.SampleValue(value)}
	}
	tests := []struct {
		name       string
		vector     model.Vector
		wantDetail string
		wantErr    string
	}{
		{name: "one pod scraped once", vector: model.Vector{up("istiod-1", "kubernetes-pods", 1)}, wantDetail: "istiod-1 up"},
		{name: "two revisions, each once",
			vector:     model.Vector{up("istiod-canary-2", "kubernetes-pods", 1), up("istiod-1", "kubernetes-pods", 1)},
			wantDetail: "istiod-1 up, istiod-canary-2 up"},
		{name: "not scraped, or not under its app label", wantErr: `no istiod pod is scraped with app="istiod"`},
		{name: "scraped by two jobs",
			vector:  model.Vector{up("istiod-1", "kubernetes-pods", 1), up("istiod-1", "istiod", 1)},
			wantErr: "istiod-1 is scraped by 2 jobs (istiod, kubernetes-pods)"},
		{name: "target down", vector: model.Vector{up("istiod-1", "kubernetes-pods", 0)}, wantErr: "istiod-1 has its target down"},
		{name: "no pod label", vector: model.Vector{up("", "istiod", 1)}, wantErr: "without a pod label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			detail, err := judgeIstiodScrapes(tt.vector)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v; want an error containing %q", detail, err, tt.wantErr)
				}
				return
			}
			if err != nil || detail != tt.wantDetail {
				t.Fatalf("got %q, %v; want %q", detail, err, tt.wantDetail)
			}
		})
	}
}
