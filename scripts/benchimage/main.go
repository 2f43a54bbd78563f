// Command benchimage supports scripts/bench.sh: it turns two root file
// systems into a two-layer docker-archive (one with plain layer.tar files, one
// with gzip layers) and measures the baselines a scan is compared with.
//
//	benchimage build -base DIR -top DIR -tar OUT.tar -gzip OUT.tar.gz [-created-by1 S] [-created-by2 S]
//	benchimage readtar ARCHIVE   # baseline A: read every tar entry of every layer
//	benchimage readtar-sha256 ARCHIVE # baseline A + sha256 of each layer (DiffID check)
//	benchimage gunzip ARCHIVE    # baseline B: only gunzip every layer
//	benchimage dpkgcount ROOTFS  # installed packages in var/lib/dpkg/status
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchimage:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: benchimage build|readtar|readtar-sha256|gunzip|dpkgcount ...")
	}
	switch args[0] {
	case "build":
		fs := flag.NewFlagSet("build", flag.ContinueOnError)
		var o buildOptions
		fs.StringVar(&o.Base, "base", "", "root file system of layer 1")
		fs.StringVar(&o.Top, "top", "", "root file system after layer 2 (optional)")
		fs.StringVar(&o.Tar, "tar", "", "docker-archive to write with uncompressed layers")
		fs.StringVar(&o.Gzip, "gzip", "", "docker-archive to write with gzip layers")
		fs.StringVar(&o.CreatedBy1, "created-by1", "debootstrap --variant=minbase bookworm", "history of layer 1")
		fs.StringVar(&o.CreatedBy2, "created-by2", "apt-get install", "history of layer 2")
		fs.StringVar(&o.Tag, "tag", "customs-bench/debian:bookworm", "repository tag")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if o.Base == "" || o.Tar == "" || o.Gzip == "" {
			return fmt.Errorf("build: -base, -tar and -gzip are required")
		}
		return build(ctx, o, stdout)
	case "readtar", "readtar-sha256", "gunzip":
		if len(args) != 2 {
			return fmt.Errorf("usage: benchimage %s ARCHIVE", args[0])
		}
		st, err := readArchive(ctx, args[1], readOptions{Entries: args[0] != "gunzip", Hash: args[0] == "readtar-sha256"})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "layers=%d entries=%d bytes=%d\n", st.Layers, st.Entries, st.Bytes)
		for _, d := range st.DiffIDs {
			fmt.Fprintln(stdout, d)
		}
		return nil
	case "dpkgcount":
		if len(args) != 2 {
			return fmt.Errorf("usage: benchimage dpkgcount ROOTFS")
		}
		n, err := dpkgCount(args[1])
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, n)
		return nil
	}
	return fmt.Errorf("unknown command %q", args[0])
}
