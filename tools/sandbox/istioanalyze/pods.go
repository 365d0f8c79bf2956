package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/kube/inject"
)

// A rendered stack holds workloads, not pods; the analyzers that match
// selectors to workloads (a Gateway's to its gateway, an
// AuthorizationPolicy's, injection's) read pods. derivedPods makes one pod
// per Deployment, DaemonSet and StatefulSet from its template, and where
// the rendered MutatingWebhookConfigurations would send it to istiod's
// injector (their namespace and object selectors, evaluated with the
// API's label selectors), runs Istio's own injector over it with the
// rendered injector configuration, as `istioctl kube-inject` does: the
// pods as the cluster would run them.

// manifest is what derivedPods reads of the rendered objects.
type manifest struct {
	namespaces map[string]map[string]string // name -> labels
	webhooks   []admissionregistrationv1.MutatingWebhook
	configMaps map[string]corev1.ConfigMap // "namespace/name"
	workloads  []workload
}

// workload is a pod template and where it runs.
type workload struct {
	kind, namespace, name string
	template              corev1.PodTemplateSpec
}

// readManifest reads the objects derivedPods needs from YAML documents.
func readManifest(files map[string][]byte) (manifest, error) {
	m := manifest{namespaces: map[string]map[string]string{}, configMaps: map[string]corev1.ConfigMap{}}
	for name, content := range files {
		reader := yamlutil.NewYAMLReader(bufio.NewReader(bytes.NewReader(content)))
		for {
			doc, err := reader.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return manifest{}, fmt.Errorf("%s: %w", name, err)
			}
			if err := m.add(doc); err != nil {
				return manifest{}, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return m, nil
}

func (m *manifest) add(doc []byte) error {
	var meta metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &meta); err != nil || meta.Kind == "" {
		return nil // not an object: the analyzer's own reader reports it
	}
	switch meta.APIVersion + "/" + meta.Kind {
	case "v1/Namespace":
		var ns corev1.Namespace
		if err := yaml.Unmarshal(doc, &ns); err != nil {
			return err
		}
		m.namespaces[ns.Name] = ns.Labels
	case "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration":
		var c admissionregistrationv1.MutatingWebhookConfiguration
		if err := yaml.Unmarshal(doc, &c); err != nil {
			return err
		}
		m.webhooks = append(m.webhooks, c.Webhooks...)
	case "v1/ConfigMap":
		var cm corev1.ConfigMap
		if err := yaml.Unmarshal(doc, &cm); err != nil {
			return err
		}
		m.configMaps[cm.Namespace+"/"+cm.Name] = cm
	case "apps/v1/Deployment":
		var d appsv1.Deployment
		if err := yaml.Unmarshal(doc, &d); err != nil {
			return err
		}
		m.workloads = append(m.workloads, workload{"Deployment", d.Namespace, d.Name, d.Spec.Template})
	case "apps/v1/DaemonSet":
		var d appsv1.DaemonSet
		if err := yaml.Unmarshal(doc, &d); err != nil {
			return err
		}
		m.workloads = append(m.workloads, workload{"DaemonSet", d.Namespace, d.Name, d.Spec.Template})
	case "apps/v1/StatefulSet":
		var d appsv1.StatefulSet
		if err := yaml.Unmarshal(doc, &d); err != nil {
			return err
		}
		m.workloads = append(m.workloads, workload{"StatefulSet", d.Namespace, d.Name, d.Spec.Template})
	}
	return nil
}

// injectorRevision is the istiod revision whose injector the first
// matching webhook calls ("" for the default revision), and whether any
// webhook matches the pod in its namespace. Istio's webhooks name
// their revision's istiod Service: istiod or istiod-<revision>.
func (m manifest) injectorRevision(namespace string, podLabels map[string]string) (string, bool, error) {
	for _, w := range m.webhooks {
		match, err := selects(w.NamespaceSelector, m.namespaces[namespace])
		if err != nil || !match {
			if err != nil {
				return "", false, fmt.Errorf("webhook %s: %w", w.Name, err)
			}
			continue
		}
		if match, err = selects(w.ObjectSelector, podLabels); err != nil {
			return "", false, fmt.Errorf("webhook %s: %w", w.Name, err)
		}
		if !match || w.ClientConfig.Service == nil {
			continue
		}
		return strings.TrimPrefix(strings.TrimPrefix(w.ClientConfig.Service.Name, "istiod"), "-"), true, nil
	}
	return "", false, nil
}

// selects evaluates a webhook's selector as the API server does: a nil
// selector selects everything.
func selects(sel *metav1.LabelSelector, set map[string]string) (bool, error) {
	if sel == nil {
		return true, nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, err
	}
	return s.Matches(labels.Set(set)), nil
}

// derivedPods is one pod per workload, injected where the cluster's
// webhooks would inject it, as YAML documents.
func derivedPods(m manifest, istioNamespace string) ([]byte, error) {
	var out bytes.Buffer
	for _, w := range m.workloads {
		pod := &corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: *w.template.ObjectMeta.DeepCopy(),
			Spec:       *w.template.Spec.DeepCopy(),
		}
		pod.Name, pod.Namespace = w.name+"-derived", w.namespace
		revision, injected, err := m.injectorRevision(w.namespace, pod.Labels)
		if err != nil {
			return nil, err
		}
		if injected {
			if pod, err = m.inject(pod, revision, istioNamespace); err != nil {
				return nil, fmt.Errorf("%s %s/%s: %w", w.kind, w.namespace, w.name, err)
			}
		}
		raw, err := yaml.Marshal(pod)
		if err != nil {
			return nil, err
		}
		out.Write(raw)
		out.WriteString("---\n")
	}
	return out.Bytes(), nil
}

// inject runs Istio's injector of revision over pod, configured by the
// rendered istio-sidecar-injector and istio ConfigMaps of that revision.
func (m manifest) inject(pod *corev1.Pod, revision, istioNamespace string) (*corev1.Pod, error) {
	suffix := ""
	if revision != "" {
		suffix = "-" + revision
	}
	injector, ok := m.configMaps[istioNamespace+"/istio-sidecar-injector"+suffix]
	if !ok {
		return nil, fmt.Errorf("a webhook injects it, but the manifests hold no ConfigMap %s/istio-sidecar-injector%s", istioNamespace, suffix)
	}
	cfg, err := inject.UnmarshalConfig([]byte(injector.Data["config"]))
	if err != nil {
		return nil, err
	}
	values, err := inject.NewValuesConfig(injector.Data["values"])
	if err != nil {
		return nil, err
	}
	meshConfig := mesh.DefaultMeshConfig()
	if cm, ok := m.configMaps[istioNamespace+"/istio"+suffix]; ok {
		if meshConfig, err = mesh.ApplyMeshConfigDefaults(cm.Data["mesh"]); err != nil {
			return nil, err
		}
	}
	out, err := inject.IntoObject(nil, cfg.Templates, values, revision, meshConfig, pod, func(string) {})
	if err != nil {
		return nil, err
	}
	injected, ok := out.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("the injector returned %T", out)
	}
	return injected, nil
}
