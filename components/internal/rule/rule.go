// Package rule holds the value rules the component specs share. Each rule
// returns the refusals of one value as field errors (k8s.io/apimachinery's
// field.Error, the API server's own type) whose Detail says what is
// accepted, in the exact words of the README's configuration tables; the
// checking library's own explanation, where there is one, follows in
// parentheses.
//
// A rule refuses or accepts; it never fixes a value up. The spec that
// calls it is the one owner of the rule for its field.
package rule

import (
	"fmt"
	"math"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// invalid is one refusal: v is not accepted, accepted says what is.
func invalid(p *field.Path, v interface{}, accepted string, why ...string) field.ErrorList {
	if len(why) > 0 && why[0] != "" {
		accepted += " (" + strings.Join(why, "; ") + ")"
	}
	return field.ErrorList{field.Invalid(p, v, accepted)}
}

// Refuse is a refusal of a spec's own making, for rules no shared one covers
// (a field that must differ from another, a value only some types allow).
func Refuse(p *field.Path, v interface{}, accepted string) field.ErrorList {
	return invalid(p, v, accepted)
}

// Missing is a refusal of an unset value that must be set.
func Missing(p *field.Path, accepted string) field.ErrorList {
	return field.ErrorList{field.Required(p, accepted)}
}

// AtLeast accepts an integer >= lo.
func AtLeast(p *field.Path, v, lo int) field.ErrorList {
	if v >= lo {
		return nil
	}
	return invalid(p, v, fmt.Sprintf("integer >= %d", lo))
}

// Range accepts an integer from lo to hi.
func Range(p *field.Path, v, lo, hi int) field.ErrorList {
	if v >= lo && v <= hi {
		return nil
	}
	return invalid(p, v, fmt.Sprintf("%d-%d", lo, hi))
}

// Int32AtLeast accepts an integer >= lo that the int32 field it becomes in
// Kubernetes can hold (replicas, revision history, probe timings): the API
// server refuses a larger number when it decodes the object, mid-update.
func Int32AtLeast(p *field.Path, v, lo int) field.ErrorList {
	if v >= lo && int64(v) <= math.MaxInt32 {
		return nil
	}
	return invalid(p, v, fmt.Sprintf("integer >= %d and <= %d (an int32 in Kubernetes)", lo, math.MaxInt32))
}

// Port accepts a TCP port number, by the API server's own rule.
func Port(p *field.Path, v int) field.ErrorList {
	if len(validation.IsValidPortNum(v)) == 0 {
		return nil
	}
	return invalid(p, v, "1-65535")
}

// PortOrZero accepts a TCP port number, or 0 for the default the field names.
func PortOrZero(p *field.Path, v int) field.ErrorList {
	if v == 0 || len(validation.IsValidPortNum(v)) == 0 {
		return nil
	}
	return invalid(p, v, "0 or 1-65535")
}

// UserID accepts a user id a pod's securityContext can run as; the pods
// run with it as their group and fsGroup too, so it must also be a group
// id (the API server's rules, which bound both to an int32).
func UserID(p *field.Path, v int) field.ErrorList {
	msgs := validation.IsValidUserID(int64(v))
	msgs = append(msgs, validation.IsValidGroupID(int64(v))...)
	if len(msgs) == 0 {
		return nil
	}
	return invalid(p, v, fmt.Sprintf("user id from 0 to %d", math.MaxInt32), msgs[0])
}

// The apiserver's default node port range (--service-node-port-range).
const (
	NodePortMin = 30000
	NodePortMax = 32767
)

// NodePort accepts 0 (Kubernetes chooses) or a port of the default node port range.
func NodePort(p *field.Path, v int) field.ErrorList {
	if v == 0 || (v >= NodePortMin && v <= NodePortMax) {
		return nil
	}
	return invalid(p, v, fmt.Sprintf("0 or %d-%d", NodePortMin, NodePortMax))
}

// Percent accepts a number from 0 to 100.
func Percent(p *field.Path, v float64) field.ErrorList {
	if v >= 0 && v <= 100 {
		return nil
	}
	return invalid(p, v, "number from 0 to 100")
}

// OneOf accepts one of the given values exactly (case matters, as it does
// to Kubernetes and Istio).
func OneOf[T ~string](p *field.Path, v T, values ...T) field.ErrorList {
	for _, ok := range values {
		if v == ok {
			return nil
		}
	}
	return invalid(p, string(v), "one of "+Join(values))
}

// EmptyOrOneOf is OneOf that also accepts the empty value (the field's default).
func EmptyOrOneOf[T ~string](p *field.Path, v T, values ...T) field.ErrorList {
	if v == "" {
		return nil
	}
	for _, ok := range values {
		if v == ok {
			return nil
		}
	}
	return invalid(p, string(v), "empty or one of "+Join(values))
}

// Join lists enum values for a message: "A, B, C".
func Join[T ~string](values []T) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = string(v)
	}
	return strings.Join(parts, ", ")
}

// shownAs is a refusal's value already written for the message, as it
// is shown (part of the value withheld).
type shownAs string

func (s shownAs) String() string { return string(s) }

// Secret stands for a secret value in a refusal: the value is never echoed.
var Secret fmt.Stringer = secret{}

type secret struct{}

func (secret) String() string { return "(secret)" }
