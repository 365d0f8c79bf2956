package components

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// readVerbs are the only verbs the stack's own roles grant: what an
// informer or a service discovery needs to read.
func readVerbs() pulumi.StringArray {
	return pulumi.ToStringArray([]string{"get", "list", "watch"})
}

// roleRef points a binding at a Role or ClusterRole ("Role", "ClusterRole").
func roleRef(kind string, name pulumi.StringInput) *rbacv1.RoleRefArgs {
	return &rbacv1.RoleRefArgs{
		ApiGroup: pulumi.String("rbac.authorization.k8s.io"),
		Kind:     pulumi.String(kind),
		Name:     name,
	}
}

// serviceAccountSubject is a binding's one subject: sa, in namespace ns.
func serviceAccountSubject(sa *corev1.ServiceAccount, ns pulumi.StringInput) rbacv1.SubjectArray {
	return rbacv1.SubjectArray{rbacv1.SubjectArgs{
		Kind:      pulumi.String("ServiceAccount"),
		Name:      sa.Metadata.Name().Elem(),
		Namespace: ns,
	}}
}
