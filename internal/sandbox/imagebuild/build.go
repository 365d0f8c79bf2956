package imagebuild

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/image"
	"github.com/play-kubernetes/play-kubernetes/internal/toolbuild"
)

// Builder builds one checkout's images.
type Builder struct {
	Layout layout.Layout
	// Log receives the builds' output.
	Log   io.Writer
	keyer keyer
	index image.Index
}

// NewBuilder keys the checkout's images against the plan's outputs and
// reads the index. Debian packages a spec needs are downloaded first, so
// that the key names the versions packed.
func NewBuilder(l layout.Layout, plan toolbuild.Plan, log io.Writer) (*Builder, error) {
	k, err := newKeyer(l.Root, plan)
	if err != nil {
		return nil, err
	}
	idx, err := image.LoadIndex(l.ImageIndex())
	if err != nil {
		return nil, fmt.Errorf("image index %s: %w", l.Rel(l.ImageIndex()), err)
	}
	b := &Builder{Layout: l, Log: log, keyer: k, index: idx}
	var debs []string
	for _, in := range specInputs {
		debs = append(debs, in.debs...)
	}
	slices.Sort(debs)
	return b, b.downloadDebs(debs)
}

// Stale is the images to build, each with its key ("" when it cannot be
// keyed: such an image is built every time rather than trusted).
func (b *Builder) Stale(warn func(error)) (map[string]string, error) {
	return b.keyer.staleImages(b.index, warn)
}

// Build builds the images and records each in the index as it is done.
// The keys were taken before the build, so an input edited during it
// makes the next run rebuild rather than trust an image of the older
// input.
func (b *Builder) Build(stale map[string]string) error {
	if err := os.MkdirAll(b.Layout.ImagesDir(), 0o755); err != nil {
		return err
	}
	pinned, err := envValues(b.Layout.Root + "/versions.env")
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(stale)) {
		built, err := b.build(name, pinned)
		if err != nil {
			return fmt.Errorf("image %s: %w", name, err)
		}
		built.Key = stale[name]
		b.index[name] = built
		if err := b.index.Save(b.Layout.ImageIndex()); err != nil {
			return err
		}
		fmt.Fprintf(b.Log, "%s %s %s\n", b.Layout.Rel(b.Layout.Image(name)), built.Digest, strings.Join(built.Refs, " "))
	}
	return nil
}

// build packs one image from its spec, its variables resolved (and built).
func (b *Builder) build(name string, pinned map[string]string) (image.Built, error) {
	spec := b.Layout.ImageSpecsDir() + "/" + name + ".json"
	raw, err := os.ReadFile(spec)
	if err != nil {
		return image.Built{}, err
	}
	vars := map[string]string{"SANDBOX_IMAGES_DIR": b.Layout.ImageSpecsDir()}
	for _, v := range specVars(string(raw)) {
		if val, ok := pinned[v]; ok {
			vars[v] = val
			continue
		}
		if _, ok := vars[v]; ok {
			continue
		}
		if vars[v], err = b.resolve(v); err != nil {
			return image.Built{}, err
		}
	}
	s, err := image.Load(spec, func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		return image.Built{}, err
	}
	digest, err := s.WriteTarball(b.Layout.Image(name))
	if err != nil {
		return image.Built{}, err
	}
	return image.Built{Digest: digest.String(), Refs: s.Refs}, nil
}
