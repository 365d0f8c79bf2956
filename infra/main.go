// Command infra is play-kubernetes' Pulumi program (Pulumi.yaml's main): it
// runs the stack under `pulumi up`. The deploy command under cmd/ runs the
// same stack.Program through the Automation API.
package main

import (
	"github.com/play-kubernetes/play-kubernetes/infra/stack"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(stack.Program)
}
