package components

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// hopImage is the image a hop runs and how the kubelet should pull it.
type hopImage struct {
	ref        pulumi.StringOutput
	pullPolicy string
}

// sampleAppImages are the images the hops run, by hop, and the builds
// registered for them (none with a prebuilt image), in hop order.
type sampleAppImages struct {
	byHop  map[string]hopImage
	builds []*docker.Image
}

// newSampleAppImages resolves each hop's image: the prebuilt reference,
// one shared build, or one build per hop.
func newSampleAppImages(ctx *pulumi.Context, s SampleChainSpec, parent pulumi.ResourceOption) (sampleAppImages, error) {
	out := sampleAppImages{byHop: map[string]hopImage{}}
	if s.Image != "" {
		for _, hop := range s.Hops {
			out.byHop[hop] = hopImage{ref: pulumi.String(s.Image).ToStringOutput(), pullPolicy: "IfNotPresent"}
		}
		return out, nil
	}
	b := s.Build
	digest, err := ContextDigest(b.Context)
	if err != nil {
		return sampleAppImages{}, err
	}
	tag := digest[:12]
	var registry docker.RegistryPtrInput
	if b.Push {
		registry = &docker.RegistryArgs{
			Server:   pulumi.String(b.Registry.Server),
			Username: optionalString(b.Registry.Username),
			Password: optionalSecret(s.RegistryPassword),
		}
	}
	build := func(resourceName, imageTag string, buildArgs map[string]string) (hopImage, error) {
		img, err := docker.NewImage(ctx, resourceName, &docker.ImageArgs{
			ImageName: pulumi.String(b.Repository + ":" + imageTag),
			Build: &docker.DockerBuildArgs{
				Context:    pulumi.String(b.Context),
				Dockerfile: pulumi.String(b.dockerfile()),
				Args:       stringMap(buildArgs),
				Platform:   optionalString(b.Platform),
			},
			SkipPush: pulumi.Bool(!b.Push),
			Registry: registry,
		}, parent)
		if err != nil {
			return hopImage{}, err
		}
		out.builds = append(out.builds, img)
		if b.Push {
			// The digest pins exactly what was pushed.
			return hopImage{ref: img.RepoDigest, pullPolicy: "IfNotPresent"}, nil
		}
		// Built into the node's own daemon: never pull, it is not in any registry.
		return hopImage{ref: img.ImageName, pullPolicy: "Never"}, nil
	}
	if !b.PerHop {
		shared, err := build("sample-app", tag, nil)
		if err != nil {
			return sampleAppImages{}, err
		}
		for _, hop := range s.Hops {
			out.byHop[hop] = shared
		}
		return out, nil
	}
	for _, hop := range s.Hops {
		img, err := build("sample-app-"+hop, tag+"-"+hop, map[string]string{"SERVICE_TYPE": HopServiceType(hop)})
		if err != nil {
			return sampleAppImages{}, err
		}
		out.byHop[hop] = img
	}
	return out, nil
}
