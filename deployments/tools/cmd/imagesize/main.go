// Command imagesize assembles newsflow's container images the way
// deployments/Dockerfile lays them out, without a Docker engine, and reports
// their sizes. Each image is scratch plus three layers:
//
//  1. the runtime file system: /etc/passwd and /etc/group with the non-root
//     user 65532, /etc/ssl/certs/ca-certificates.crt, /tmp (1777), /data and
//     /home/nonroot owned by 65532;
//  2. /usr/local/bin/healthcheck (not in the CLI image);
//  3. the service binary in /usr/local/bin.
//
// The binaries come from -bin, built with the Dockerfile's flags
// (`make image-sizes` does both). The compressed size is what a registry
// stores and a node pulls (gzip layers, manifest and config); the
// uncompressed size is what `docker images` shows once unpacked. With -out,
// each image is also written as a tarball that `docker load` accepts.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Image is one target of deployments/Dockerfile.
type Image struct {
	Name        string
	Binary      string
	Healthcheck bool
	Ports       []string
	Cmd         []string
}

// Images are the Dockerfile's final targets.
var Images = []Image{
	{Name: "ingest", Binary: "ingest", Healthcheck: true, Ports: []string{"8080/tcp", "9101/tcp"}, Cmd: []string{"serve", "-listen", ":8080"}},
	{Name: "enrich", Binary: "enrich", Healthcheck: true, Ports: []string{"9102/tcp"}},
	{Name: "sink", Binary: "sink", Healthcheck: true, Ports: []string{"9103/tcp"}},
	{Name: "newsflow", Binary: "newsflow", Cmd: []string{"status"}},
}

const uid = 65532

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "imagesize: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("imagesize", flag.ContinueOnError)
	bin := fs.String("bin", "bin/images", "directory holding ingest, enrich, sink, newsflow and healthcheck built as the Dockerfile builds them")
	ca := fs.String("ca", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to put in the images")
	out := fs.String("out", "", "write each image as a docker-loadable tarball into this directory (empty: only measure)")
	tag := fs.String("tag", "newsflow/%s:dev", "image reference pattern for -out (%s is the image name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	caPEM, err := os.ReadFile(*ca)
	if err != nil {
		return fmt.Errorf("CA bundle: %w", err)
	}
	rootfs, err := RootFS(caPEM)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	_, _ = fmt.Fprintln(tw, "image\tbinary\tcompressed\tuncompressed\tlayers (compressed)\t")
	for _, im := range Images {
		img, err := Build(im, rootfs, *bin)
		if err != nil {
			return fmt.Errorf("image %s: %w", im.Name, err)
		}
		s, err := Measure(img)
		if err != nil {
			return fmt.Errorf("image %s: %w", im.Name, err)
		}
		fi, err := os.Stat(filepath.Join(*bin, im.Binary))
		if err != nil {
			return err
		}
		layers := ""
		for i, l := range s.Layers {
			if i > 0 {
				layers += " + "
			}
			layers += mib(l)
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", im.Name, mib(fi.Size()), mib(s.Compressed), mib(s.Uncompressed), layers)
		if *out != "" {
			ref, err := name.ParseReference(fmt.Sprintf(*tag, im.Name))
			if err != nil {
				return err
			}
			if err := os.MkdirAll(*out, 0o755); err != nil {
				return err
			}
			if err := tarball.WriteToFile(filepath.Join(*out, im.Name+".tar"), ref, img); err != nil {
				return fmt.Errorf("writing %s: %w", im.Name, err)
			}
		}
	}
	return tw.Flush()
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// Sizes of one image.
type Sizes struct {
	Compressed   int64   // gzip layers + manifest + config: what a registry stores
	Uncompressed int64   // layer tars unpacked: what the node's disk holds
	Layers       []int64 // compressed size of each layer
}

// Measure adds up an image's layers, manifest and config.
func Measure(img v1.Image) (Sizes, error) {
	var s Sizes
	layers, err := img.Layers()
	if err != nil {
		return s, err
	}
	for _, l := range layers {
		c, err := l.Size()
		if err != nil {
			return s, err
		}
		u, err := uncompressedSize(l)
		if err != nil {
			return s, err
		}
		s.Compressed += c
		s.Uncompressed += u
		s.Layers = append(s.Layers, c)
	}
	m, err := img.RawManifest()
	if err != nil {
		return s, err
	}
	c, err := img.RawConfigFile()
	if err != nil {
		return s, err
	}
	s.Compressed += int64(len(m) + len(c))
	return s, nil
}

func uncompressedSize(l v1.Layer) (int64, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}

// Build assembles one image on an empty base.
func Build(im Image, rootfs []byte, binDir string) (v1.Image, error) {
	layers := []v1.Layer{}
	base, err := layerFromTar(rootfs)
	if err != nil {
		return nil, err
	}
	layers = append(layers, base)
	files := []string{}
	if im.Healthcheck {
		files = append(files, "healthcheck")
	}
	files = append(files, im.Binary)
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(binDir, f))
		if err != nil {
			return nil, err
		}
		t, err := tarOf([]entry{{name: "usr/local/bin/" + f, mode: 0o755, data: data}})
		if err != nil {
			return nil, err
		}
		l, err := layerFromTar(t)
		if err != nil {
			return nil, err
		}
		layers = append(layers, l)
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.User = fmt.Sprintf("%d:%d", uid, uid)
	cf.Config.WorkingDir = "/data"
	cf.Config.Entrypoint = []string{"/usr/local/bin/" + im.Binary}
	cf.Config.Cmd = im.Cmd
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if len(im.Ports) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range im.Ports {
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	return mutate.ConfigFile(img, cf)
}

func layerFromTar(b []byte) (v1.Layer, error) {
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
}

type entry struct {
	name     string
	mode     int64
	uid, gid int
	dir      bool
	data     []byte
}

// RootFS is the runtime file system layer of every image.
func RootFS(caPEM []byte) ([]byte, error) {
	if len(caPEM) == 0 {
		return nil, errors.New("empty CA bundle")
	}
	passwd := "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group := "root:x:0:\nnonroot:x:65532:\n"
	return tarOf([]entry{
		{name: "etc/", dir: true, mode: 0o755},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/ssl/", dir: true, mode: 0o755},
		{name: "etc/ssl/certs/", dir: true, mode: 0o755},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: caPEM},
		{name: "tmp/", dir: true, mode: 0o1777},
		{name: "data/", dir: true, mode: 0o755, uid: uid, gid: uid},
		{name: "home/", dir: true, mode: 0o755},
		{name: "home/nonroot/", dir: true, mode: 0o755, uid: uid, gid: uid},
	})
}

// tarOf writes entries as a tar with fixed times, so layers are reproducible.
func tarOf(entries []entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(0, 0)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.gid, ModTime: mtime, Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.data))
			// Parent directories of the binaries, as COPY creates them.
			if dir := filepath.Dir(e.name); dir == "usr/local/bin" {
				for _, d := range []string{"usr/", "usr/local/", "usr/local/bin/"} {
					if err := tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
						return nil, err
					}
				}
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
