package rule

import (
	"fmt"
	"maps"
	"strings"

	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// DNS1123Label accepts a Kubernetes object name that must be a DNS-1123
// label (namespaces, Deployments, ServiceAccounts).
func DNS1123Label(p *field.Path, v string) field.ErrorList {
	if msgs := validation.IsDNS1123Label(v); len(msgs) > 0 {
		return invalid(p, v, "DNS-1123 label", msgs...)
	}
	return nil
}

// DNS1035Label accepts a Service name: Kubernetes wants a DNS-1035 label
// (it starts with a letter).
func DNS1035Label(p *field.Path, v string) field.ErrorList {
	if msgs := validation.IsDNS1035Label(v); len(msgs) > 0 {
		return invalid(p, v, "DNS-1035 label", msgs...)
	}
	return nil
}

// Labels accepts a map of label keys to label values, judged by the API
// server's own label validation.
func Labels(p *field.Path, labels map[string]string) field.ErrorList {
	return restate(metav1validation.ValidateLabels(labels, p), "map of Kubernetes label keys to label values")
}

// Annotations accepts a map of annotation keys to values, judged by the
// API server's own annotation validation (qualified-name keys, total size).
func Annotations(p *field.Path, annotations map[string]string) field.ErrorList {
	return restate(metavalidation.ValidateAnnotations(annotations, p), "map of annotation keys (qualified names) to values")
}

// AnnotationFits accepts an annotation value that fits, with the other
// annotations of its object, in the API server's limit on their total
// size. Others too large on their own are Annotations' to refuse. The
// refusal shows the value's size, not the value.
func AnnotationFits(p *field.Path, key, v string, others map[string]string) field.ErrorList {
	if metavalidation.ValidateAnnotationsSize(others) != nil {
		return nil
	}
	all := maps.Clone(others)
	if all == nil {
		all = map[string]string{}
	}
	all[key] = v
	if err := metavalidation.ValidateAnnotationsSize(all); err != nil {
		return invalid(p, shownAs(fmt.Sprintf("(a text of %d bytes)", len(v))),
			fmt.Sprintf("text that fits, with the other annotations of the object, in Kubernetes' limit of %d bytes", metavalidation.TotalAnnotationSizeLimitB), err.Error())
	}
	return nil
}

// restate keeps a library's refusals, each saying what is accepted in the
// README's words followed by the library's explanation.
func restate(errs field.ErrorList, accepted string) field.ErrorList {
	var out field.ErrorList
	for _, e := range errs {
		why := e.Detail
		if why == "" {
			why = e.ErrorBody()
		}
		out = append(out, invalid(pathOf(e), e.BadValue, accepted, why)...)
	}
	return out
}

// pathOf is the path of a library's error, as the path type.
func pathOf(e *field.Error) *field.Path {
	return field.NewPath(strings.TrimSpace(e.Field))
}
