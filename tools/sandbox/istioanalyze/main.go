// Command istio-analyze runs Istio's configuration analyzers (those of
// `istioctl analyze`) over manifests on disk with no cluster, as
// `istioctl analyze --use-kube=false --recursive --all-namespaces` does, and
// fails when a message reaches -failure-threshold.
//
// Beyond istioctl's file mode it reads the Services, Namespaces and
// workloads of the manifests, and the pods the workloads would run,
// injected where the manifests' webhooks would inject them (pods.go).
//
// It is built beside istiod from the same pinned istio.io/istio because
// istiod already compiles the whole analysis library and the injector:
// this program adds one package and a link to a cold build, where
// istioctl adds its own 167 (Helm, the operator, its CLI).
package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"istio.io/istio/pilot/pkg/config/file"
	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/diag"
	"istio.io/istio/pkg/config/analysis/legacy/util/kuberesource"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/resource"
	"istio.io/istio/pkg/log"
)

func main() {
	istioNamespace := flag.String("istio-namespace", "istio-system", "the control plane's namespace")
	threshold := flag.String("failure-threshold", "Warning", "fail on messages of this level or worse: "+strings.Join(diag.GetAllLevelStrings(), ", "))
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: istio-analyze [flags] file-or-directory...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	// istioctl's own levels: the analysis' progress stays quiet, its
	// findings are the output.
	opts := log.DefaultOptions()
	opts.SetDefaultOutputLevel(log.DefaultScopeName, log.WarnLevel)
	for _, scope := range []string{"analysis", "krt", "validation", "processing", "kube"} {
		opts.SetDefaultOutputLevel(scope, log.ErrorLevel)
	}
	if err := log.Configure(opts); err != nil {
		fmt.Fprintln(os.Stderr, "istio-analyze:", err)
		os.Exit(1)
	}
	if err := run(*istioNamespace, *threshold, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "istio-analyze:", err)
		os.Exit(1)
	}
}

func run(istioNamespace, threshold string, paths []string) error {
	level, ok := diag.GetUppercaseStringToLevelMap()[strings.ToUpper(threshold)]
	if !ok {
		return fmt.Errorf("-failure-threshold %q: want one of %s", threshold, strings.Join(diag.GetAllLevelStrings(), ", "))
	}
	if len(paths) == 0 {
		return fmt.Errorf("no file or directory to analyze")
	}
	files, err := manifests(paths)
	if err != nil {
		return err
	}
	combined := analyzers.AllCombined()
	// The manifests are the whole stack, Services, Namespaces and
	// Deployments too, which the analyzers judge Istio's objects against
	// (a host no Service serves, an injection label): istioctl reads those
	// from a cluster and, from files, leaves them out. The pods a render
	// lacks are derived from its workloads (pods.go).
	src := file.NewKubeSource(kuberesource.ConvertInputsToSchemas(combined.Metadata().Inputs))
	contents := map[string][]byte{}
	for _, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		contents[f] = content
		if err := src.ApplyContent(f, string(content)); err != nil {
			return fmt.Errorf("reading %s: %w", f, err)
		}
	}
	m, err := readManifest(contents)
	if err != nil {
		return err
	}
	pods, err := derivedPods(m, istioNamespace)
	if err != nil {
		return fmt.Errorf("deriving pods: %w", err)
	}
	if err := src.ApplyContent("pods derived from the workloads", string(pods)); err != nil {
		return fmt.Errorf("the derived pods: %w", err)
	}
	// "" is every namespace.
	sa := local.NewIstiodAnalyzer(combined, "", resource.Namespace(istioNamespace), nil)
	sa.AddSource(src)
	result, err := sa.Analyze(make(chan struct{}))
	if err != nil {
		return err
	}
	failing := 0
	for _, m := range result.Messages.SortedDedupedCopy() {
		fmt.Println(m.String())
		if m.Type.Level().IsWorseThanOrEqualTo(level) {
			failing++
		}
	}
	if failing > 0 {
		return fmt.Errorf("%d messages at %s or worse in %d files", failing, level, len(files))
	}
	fmt.Printf("no validation issues at %s or worse in %d files\n", level, len(files))
	return nil
}

// manifests are the .yaml, .yml and .json files of paths, directories
// walked recursively, in order.
func manifests(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					files = append(files, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}
