// Package gatewayapi holds the Kubernetes Gateway API's standard-channel
// manifests at GATEWAY_API_VERSION (versions.env): its CRDs and the
// safe-upgrades admission policy that refuses an older or experimental
// bundle on top. They are copied from the sigs.k8s.io/gateway-api module
// (hack/update-gateway-api-crds.sh) and embedded, so installing them fetches
// nothing at run time; a test checks the copy against the module.
package gatewayapi

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

//go:embed standard/*.yaml
var standard embed.FS

// Dir is where the manifests sit in this package's source.
const Dir = "standard"

// Object is one manifest: its identity, and every field but apiVersion,
// kind and metadata (a CRD's spec, a policy's spec).
type Object struct {
	APIVersion  string
	Kind        string
	Name        string
	Annotations map[string]string
	Labels      map[string]string
	Fields      map[string]interface{}
}

// Files are the embedded manifests' names, sorted.
func Files() ([]string, error) {
	names, err := fs.Glob(standard, Dir+"/*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for i, n := range names {
		names[i] = path.Base(n)
	}
	return names, nil
}

// Read returns one embedded manifest file's bytes.
func Read(name string) ([]byte, error) { return standard.ReadFile(path.Join(Dir, name)) }

// Standard is every object of the standard channel, file by file in name
// order (the CRDs, then the admission policy and its binding).
func Standard() ([]Object, error) {
	files, err := Files()
	if err != nil {
		return nil, err
	}
	var out []Object
	for _, name := range files {
		raw, err := Read(name)
		if err != nil {
			return nil, err
		}
		objs, err := decode(raw)
		if err != nil {
			return nil, fmt.Errorf("gateway API manifest %s: %w", name, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

// decode splits a multi-document manifest into its objects.
func decode(raw []byte) ([]Object, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	var out []Object
	for {
		doc := map[string]interface{}{}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		if len(doc) == 0 {
			continue
		}
		obj, err := object(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
}

func object(doc map[string]interface{}) (Object, error) {
	o := Object{Fields: map[string]interface{}{}}
	o.APIVersion, _ = doc["apiVersion"].(string)
	o.Kind, _ = doc["kind"].(string)
	meta, _ := doc["metadata"].(map[string]interface{})
	o.Name, _ = meta["name"].(string)
	if o.APIVersion == "" || o.Kind == "" || o.Name == "" {
		return Object{}, fmt.Errorf("an object without apiVersion, kind or metadata.name")
	}
	o.Annotations = stringMap(meta["annotations"])
	o.Labels = stringMap(meta["labels"])
	for k, v := range doc {
		switch k {
		case "apiVersion", "kind", "metadata", "status":
		default:
			o.Fields[k] = v
		}
	}
	return o, nil
}

func stringMap(v interface{}) map[string]string {
	m, _ := v.(map[string]interface{})
	if len(m) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}
