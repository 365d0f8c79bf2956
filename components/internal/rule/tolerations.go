package rule

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TolerationOperators and TaintEffects are what a toleration may say, as
// the API server accepts them.
var (
	TolerationOperators = []corev1.TolerationOperator{corev1.TolerationOpExists, corev1.TolerationOpEqual}
	TaintEffects        = []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute}
)

// Tolerations accepts pod tolerations by the API server's own rules
// (k8s.io/kubernetes pkg/apis/core/validation.ValidateTolerations, which
// is not importable as a library): a key is a label name; an empty key
// needs operator Exists; Exists takes no value, Equal (or no operator) a
// label value; the effect is empty or a taint effect; tolerationSeconds
// only with NoExecute.
func Tolerations(p *field.Path, tolerations []corev1.Toleration) field.ErrorList {
	var errs field.ErrorList
	for i, t := range tolerations {
		at := p.Index(i)
		if t.Key != "" {
			if msgs := validation.IsQualifiedName(t.Key); len(msgs) > 0 {
				errs = append(errs, invalid(at.Child("key"), t.Key, "label name", msgs...)...)
			}
		}
		switch t.Operator {
		case corev1.TolerationOpEqual, "":
			if t.Key == "" {
				errs = append(errs, invalid(at.Child("operator"), string(t.Operator), "Exists when key is empty")...)
			}
			if msgs := validation.IsValidLabelValue(t.Value); len(msgs) > 0 {
				errs = append(errs, invalid(at.Child("value"), t.Value, "label value", msgs...)...)
			}
		case corev1.TolerationOpExists:
			if t.Value != "" {
				errs = append(errs, invalid(at.Child("value"), t.Value, "empty when operator is Exists")...)
			}
		default:
			errs = append(errs, OneOf(at.Child("operator"), t.Operator, TolerationOperators...)...)
		}
		errs = append(errs, EmptyOrOneOf(at.Child("effect"), t.Effect, TaintEffects...)...)
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			errs = append(errs, invalid(at.Child("tolerationSeconds"), *t.TolerationSeconds, "unset unless effect is NoExecute")...)
		}
	}
	return errs
}
