package preflight

import (
	"context"
	"fmt"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/clustertarget"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Authorized asks the API server who the stack's credentials are and, when
// verb is set, whether they may do it to namespaces ("create" for up: the
// stack creates its own; "delete" for destroy). Expired or refused
// credentials, or a user without that right, are one clear error before the
// engine starts, instead of a half-applied update. Read-only commands
// (preview, verify) pass no verb: a reviewer's read-only credentials do.
func Authorized(ctx context.Context, t clustertarget.Target, cfg *rest.Config, timeout time.Duration, verb string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	review, err := kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("the cluster of kube context %q (%s) refused the credentials (%v): renew them (e.g. `minikube update-context`, or your cloud's login) — nothing was changed", t.Context, t.Server, err)
	case err != nil:
		return fmt.Errorf("the cluster of kube context %q (%s) did not answer who the credentials are: %w — nothing was changed", t.Context, t.Server, err)
	}
	user := review.Status.UserInfo.Username
	if verb == "" {
		return nil
	}
	access, err := kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: verb, Resource: "namespaces",
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("kube context %q: asking whether %s may %s namespaces: %w — nothing was changed", t.Context, user, verb, err)
	}
	if !access.Status.Allowed {
		return fmt.Errorf("kube context %q: user %q may not %s namespaces, and the stack manages its own (and cluster-wide Istio resources): use a context with cluster-admin-level rights — nothing was changed", t.Context, user, verb)
	}
	return nil
}
