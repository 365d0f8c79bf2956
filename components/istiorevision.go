package components

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Istio's canary upgrade, as configuration: each istiod is installed as a
// revision (a Helm release istiod-<revision>, Istio's `revision` value),
// revision tags alias revisions (a tag's injection webhook sends the pods
// of namespaces labeled istio.io/rev=<tag> to the istiod it points at),
// and the app namespace and the ingress gateway select a tag. Upgrading is
// then a few config changes, each one `up`: add a revision beside the old,
// move the tag (which rolls the workloads onto it), remove the old.

// RevisionLabel is Istio's label by which namespaces, pods and Gateways
// select a revision or a revision tag, and webhooks say whose they are.
const RevisionLabel = "istio.io/rev"

// RevisionTagLabel marks a revision tag's injection webhook with its tag.
const RevisionTagLabel = "istio.io/tag"

// RevisionAnnotation on a workload's pods is the istiod revision the app
// namespace's selection resolves to: moving a tag changes it, so the up
// that moves the tag also rolls the workloads onto the new revision.
const RevisionAnnotation = "playk8s.io/istio-revision"

// maxRevisionNameLen bounds revision and tag names: Helm release names
// (istiod-<revision>, at most 53) and the names Istio derives from a tag
// (the Service istiod-revision-tag-<tag>, a DNS label) are built from them.
const maxRevisionNameLen = 40

// reservedRevision is Istio's name for the revision-less install and its
// special tag: neither a revision nor a tag of ours may take it.
const reservedRevision = "default"

// IstiodRevision is one istiod installed as an Istio revision
// (`istio:revisions[i]`). Its chart comes from the mesh's source unless it
// names its own version (in istio:chartRepo) or chartDir.
type IstiodRevision struct {
	// Name is the revision (e.g. 1-31-4): the release is istiod-<name>.
	Name string `json:"name"`
	// Version is its istiod chart's version in istio:chartRepo.
	Version string `json:"version"`
	// ChartDir is a local directory holding its istiod chart.
	ChartDir string `json:"chartDir"`
}

// chartSource is where the revision's istiod chart comes from.
func (r IstiodRevision) chartSource(mesh ChartSource) ChartSource {
	switch {
	case r.ChartDir != "":
		return ChartSource{Dir: r.ChartDir}
	case r.Version != "":
		return ChartSource{Repo: mesh.Repo, Version: r.Version}
	}
	return mesh
}

// ownsChart says the revision names its own chart.
func (r IstiodRevision) ownsChart() bool { return r.Version != "" || r.ChartDir != "" }

// istiodInstall is one istiod release: its name, the revision it installs
// ("" for the revision-less istiod) and its chart source.
type istiodInstall struct {
	release, revision string
	source            ChartSource
}

// istiods are the istiod releases the spec installs: one revision-less
// istiod (the tutorial's), or one per revision.
func (s IstioMeshSpec) istiods() []istiodInstall {
	if len(s.Revisions) == 0 {
		return []istiodInstall{{release: ReleaseName(IstioChartIstiod), source: s.ChartSource}}
	}
	out := make([]istiodInstall, 0, len(s.Revisions))
	for _, r := range s.Revisions {
		out = append(out, istiodInstall{release: IstiodReleaseName(r.Name), revision: r.Name, source: r.chartSource(s.ChartSource)})
	}
	return out
}

// IstiodReleaseName is the Helm release (and Deployment and Service) name
// of an istiod revision: Istio's istiod-<revision>.
func IstiodReleaseName(revision string) string {
	if revision == "" {
		return ReleaseName(IstioChartIstiod)
	}
	return "istiod-" + revision
}

// AppIstiodRevision is the istiod revision the app namespace's selection
// (istio:appRevision, a tag or a revision) resolves to; "" without revisions.
func (s IstioMeshSpec) AppIstiodRevision() string {
	if target, ok := s.RevisionTags[s.AppRevision]; ok {
		return target
	}
	return s.AppRevision
}

// RevisionTagWebhookName is the name Istio gives a tag's injection webhook
// configuration (the istiod chart's revision-tags-mwc.yaml).
func RevisionTagWebhookName(tag, namespace string) string {
	if namespace == "istio-system" {
		return "istio-revision-tag-" + tag
	}
	return "istio-revision-tag-" + tag + "-" + namespace
}

// sortedTags are the revision tags in name order, for a stable registration.
func (s IstioMeshSpec) sortedTags() []string { return slices.Sorted(maps.Keys(s.RevisionTags)) }

// resolveRevisionPaths makes relative revision chart directories relative to root.
func (s *IstioMeshSpec) resolveRevisionPaths(root string) {
	for i, r := range s.Revisions {
		if r.ChartDir != "" && !filepath.IsAbs(r.ChartDir) {
			s.Revisions[i].ChartDir = filepath.Join(root, r.ChartDir)
		}
	}
}

// validateRevisions refuses revisions, tags and an app selection Istio
// could not install or resolve: names Helm and Istio refuse or reserve,
// duplicates, a tag named like a revision (both are values of the same
// namespace label) or pointing at no revision, a selection that is
// neither, and anything of this set without revisions.
func (s IstioMeshSpec) validateRevisions() field.ErrorList {
	revisionsPath, tagsPath, appPath := field.NewPath("revisions"), field.NewPath("revisionTags"), field.NewPath("appRevision")
	var errs field.ErrorList
	if len(s.Revisions) == 0 {
		if len(s.RevisionTags) > 0 {
			errs = append(errs, rule.Refuse(tagsPath, s.sortedTags(), "empty unless revisions is set (a tag points at a revision)")...)
		}
		if s.AppRevision != "" {
			errs = append(errs, rule.Refuse(appPath, s.AppRevision, "empty unless revisions is set")...)
		}
		return errs
	}
	names := map[string]bool{}
	var revisionNames []string
	for i, r := range s.Revisions {
		at := revisionsPath.Index(i)
		errs = append(errs, revisionName(at.Child("name"), r.Name)...)
		if names[r.Name] {
			errs = append(errs, field.Duplicate(at.Child("name"), r.Name))
		}
		names[r.Name] = true
		revisionNames = append(revisionNames, r.Name)
		if r.Version != "" && r.ChartDir == "" {
			errs = append(errs, rule.ChartVersion(at.Child("version"), r.Version)...)
		}
		if pathErrs := rule.LocalPath(at.Child("chartDir"), r.ChartDir); len(pathErrs) > 0 {
			errs = append(errs, pathErrs...)
		} else if r.ChartDir != "" {
			if _, err := LocalChartPaths(r.ChartDir, []IstioChart{IstioChartIstiod}); err != nil {
				errs = append(errs, rule.Refuse(at.Child("chartDir"), r.ChartDir, "directory holding an istiod chart ("+err.Error()+")")...)
			}
		}
		if r.ownsChart() && s.Tag != "" {
			errs = append(errs, rule.Refuse(field.NewPath("tag"), s.Tag, "empty when a revision names its own version or chartDir (each revision's images follow its chart's version)")...)
		}
	}
	for _, tag := range s.sortedTags() {
		at := tagsPath.Key(tag)
		errs = append(errs, revisionName(at, tag)...)
		if names[tag] {
			errs = append(errs, rule.Refuse(at, tag, "a tag name other than every revision's (a namespace's istio.io/rev names either)")...)
		}
		if target := s.RevisionTags[tag]; !names[target] {
			errs = append(errs, rule.Refuse(at, target, "one of the revisions: "+rule.Join(revisionNames))...)
		}
	}
	selectable := append(slices.Clone(revisionNames), s.sortedTags()...)
	switch {
	case s.AppRevision == "":
		errs = append(errs, rule.Missing(appPath, "the revision tag or revision the app namespace and the ingress gateway select, when revisions is set: one of "+rule.Join(selectable))...)
	case !slices.Contains(selectable, s.AppRevision):
		errs = append(errs, rule.Refuse(appPath, s.AppRevision, "one of the revision tags or revisions: "+rule.Join(selectable))...)
	}
	return errs
}

// revisionName accepts a revision or tag name: a DNS-1123 label of at most
// maxRevisionNameLen characters, other than Istio's reserved "default".
func revisionName(p *field.Path, v string) field.ErrorList {
	if errs := rule.DNS1123Label(p, v); len(errs) > 0 {
		return errs
	}
	if len(v) > maxRevisionNameLen || v == reservedRevision {
		return rule.Refuse(p, v, fmt.Sprintf("DNS-1123 label of at most %d characters other than %q (Helm's release names and Istio's Service names are built from it; %q is Istio's revision-less install)",
			maxRevisionNameLen, reservedRevision, reservedRevision))
	}
	return nil
}

// revisionSelection is the label by which the app namespace and the
// ingress gateway select their revision; nil without revisions.
func (s IstioMeshSpec) revisionSelection() map[string]string {
	if len(s.Revisions) == 0 {
		return nil
	}
	return map[string]string{RevisionLabel: s.AppRevision}
}

// revisionPodAnnotations stamp injected pods with the revision their
// selection resolves to, so moving a tag rolls them; nil without revisions.
func (s IstioMeshSpec) revisionPodAnnotations() map[string]string {
	if len(s.Revisions) == 0 {
		return nil
	}
	return map[string]string{RevisionAnnotation: s.AppIstiodRevision()}
}

// injectedPodAnnotations are revisionPodAnnotations for the app namespace's
// workloads: nil when injection is off, as no revision injects them.
func (s IstioMeshSpec) injectedPodAnnotations() map[string]string {
	if !s.SidecarInjection {
		return nil
	}
	return s.revisionPodAnnotations()
}
