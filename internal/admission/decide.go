package admission

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"github.com/customs-scanner/customs/internal/audit/runtime"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// Limits of what a response says. Kubernetes advises warnings of at most
// 120 characters and may truncate those over 256 and long lists; the
// status message is shown by kubectl in one line.
const (
	maxMessage     = 1024
	maxWarnings    = 10
	maxWarningLen  = 256
	maxImageLookup = 4 // images of one pod resolved at a time
)

// Container is one container of a pod spec.
type Container struct {
	Name  string
	Image string
}

// Image is what admission found about one image: the Gatekeeper provider's
// value for it, and one part of a pod's decision.
type Image struct {
	Ref    string `json:"image"`
	Digest string `json:"digest,omitempty"`
	// Known is set when the store holds a report of Digest.
	Known   bool `json:"known"`
	Allowed bool `json:"allowed"`
	// Message is the gate's verdict, or why the image is not known.
	Message string `json:"message,omitempty"`
	// Findings are what failed the gate, worst first (at most 5).
	Findings []string `json:"findings,omitempty"`
	// Warnings are the policy's warn rules that matched.
	Warnings []string `json:"warnings,omitempty"`
	// Enqueued is set when admission asked for a scan of the image.
	Enqueued bool `json:"enqueued,omitempty"`
}

// Image decides one image reference. sideEffects false (a dry run) does
// not enqueue a scan. The error is the store's: the caller cannot decide.
func (h *Handler) Image(ctx context.Context, ref string, sideEffects bool) (Image, error) {
	im := Image{Ref: ref}
	digest, why := h.resolve(ctx, ref)
	im.Digest = digest
	if digest != "" {
		v, err := h.verdictOf(ctx, digest)
		if err != nil {
			return im, err
		}
		if v.known {
			im.Known, im.Allowed, im.Message, im.Findings, im.Warnings = true, !v.failed, v.message, v.named, v.warnings
			return im, nil
		}
		why = "no stored scan of " + report.ShortDigest(digest)
	}
	im.Allowed = h.cfg.Unknown != UnknownDeny
	im.Message = why
	if sideEffects {
		im.Enqueued = h.enqueue(ref, digest)
	}
	if im.Enqueued {
		im.Message += "; a scan was requested"
	}
	return im, nil
}

// resolve returns the manifest digest of ref: from the reference, else
// the store's record, else a registry HEAD; "" and the reason when none
// answers.
func (h *Handler) resolve(ctx context.Context, ref string) (string, string) {
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Sprintf("image reference %q: %v", ref, err)
	}
	if d, ok := parsed.(name.Digest); ok {
		return d.DigestStr(), ""
	}
	if d, ok := h.digests.get(ref); ok {
		return d, ""
	}
	sctx, cancel := context.WithTimeout(ctx, DefaultStoreTimeout)
	d, err := h.store.Resolve(sctx, ref)
	cancel()
	switch {
	case err == nil && d != "":
		h.digests.put(ref, d)
		return d, ""
	case err != nil && !errors.Is(err, store.ErrNotFound):
		h.log.Warn("admission: resolve a reference in the store", "ref", ref, "err", err)
	}
	if h.cfg.ResolveTimeout < 0 {
		return "", "not in the store"
	}
	rctx, cancel := context.WithTimeout(ctx, h.cfg.ResolveTimeout)
	defer cancel()
	desc, err := remote.Head(parsed, append(slices.Clip(h.cfg.Remote), remote.WithContext(rctx))...)
	if err != nil {
		h.log.Info("admission: registry HEAD", "ref", ref, "err", err)
		return "", "not in the store, and the registry did not give its digest"
	}
	h.digests.put(ref, desc.Digest.String())
	return desc.Digest.String(), ""
}

// enqueue asks for a scan of ref (by digest when known), at most once per
// TTL, without waiting for the queue.
func (h *Handler) enqueue(ref, digest string) bool {
	if h.enqueuer == nil {
		return false
	}
	target := ref
	if digest != "" {
		if p, err := name.ParseReference(ref); err == nil {
			target = p.Context().Digest(digest).String()
		}
	}
	if _, ok := h.enqueued.get(target); ok {
		return true
	}
	h.queueMu.Lock()
	defer h.queueMu.Unlock()
	if h.closed {
		return false
	}
	select {
	case h.queue <- target:
		h.enqueued.put(target, true)
		return true
	default:
		h.log.Warn("admission: scan requests backlog full", "ref", target)
		return false
	}
}

// Decision is the answer for one pod.
type Decision struct {
	Allowed bool
	// Message says what denied the pod, for status.message.
	Message  string
	Warnings []string
	// Images are the pod's distinct images, in the order of the spec.
	Images []Image
	// Controls are the Pod Security Standards findings of the profiles
	// that are not off.
	Controls []report.Misconfiguration
}

// Pod decides a pod spec: its containers (init, regular and ephemeral),
// and its object as the API server sent it (raw JSON, with its kind),
// which the Pod Security Standards checks read.
func (h *Handler) Pod(ctx context.Context, containers []Container, object []byte, sideEffects bool) (Decision, error) {
	var refs []string
	users := map[string][]string{}
	for _, c := range containers {
		if c.Image == "" {
			continue
		}
		if _, ok := users[c.Image]; !ok {
			refs = append(refs, c.Image)
		}
		users[c.Image] = append(users[c.Image], c.Name)
	}
	images := make([]Image, len(refs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxImageLookup)
	for i, ref := range refs {
		g.Go(func() error {
			im, err := h.Image(gctx, ref, sideEffects)
			images[i] = im
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return Decision{}, err
	}
	d := Decision{Allowed: true, Images: images}
	var denied, warned []string
	for _, im := range images {
		who := "container " + strings.Join(users[im.Ref], ", ")
		switch {
		case !im.Known && !im.Allowed:
			denied = append(denied, fmt.Sprintf("%s: image %s: %s (--admission-unknown deny)", who, im.Ref, im.Message))
		case !im.Known && h.cfg.Unknown == UnknownWarn:
			warned = append(warned, fmt.Sprintf("image %s: %s", im.Ref, im.Message))
		case im.Known && !im.Allowed:
			part := fmt.Sprintf("%s: image %s (%s): %s", who, im.Ref, report.ShortDigest(im.Digest), im.Message)
			if len(im.Findings) > 0 {
				part += ": " + strings.Join(im.Findings, ", ")
			}
			denied = append(denied, part)
		}
		for _, w := range im.Warnings {
			warned = append(warned, fmt.Sprintf("image %s: %s", im.Ref, w))
		}
	}
	controls, enforced, warnings := h.pss(object)
	d.Controls = controls
	denied = append(denied, enforced...)
	warned = append(warned, warnings...)
	if len(denied) > 0 {
		d.Allowed = false
		d.Message = clip("customs: "+strings.Join(denied, "; "), maxMessage)
	}
	for _, w := range warned {
		if len(d.Warnings) == maxWarnings-1 && len(warned) > maxWarnings {
			d.Warnings = append(d.Warnings, fmt.Sprintf("customs: %d more warnings", len(warned)-len(d.Warnings)))
			break
		}
		d.Warnings = append(d.Warnings, clip("customs: "+w, maxWarningLen))
	}
	return d, nil
}

// pss runs the Pod Security Standards checks of customs audit on the
// object and groups the findings of each control: those of enforced
// profiles deny, those of warned ones warn.
func (h *Handler) pss(object []byte) (controls []report.Misconfiguration, enforced, warned []string) {
	if h.cfg.PSS[Baseline] == Off && h.cfg.PSS[Restricted] == Off {
		return nil, nil, nil
	}
	ws, err := runtime.ParseKubernetes("admission", object)
	if err != nil {
		// The object decoded as its kind already; the audit's reader
		// disagreeing is a bug to log, not a reason to deny.
		h.log.Warn("admission: read the pod spec for the Pod Security Standards checks", "err", err)
		return nil, nil, nil
	}
	type group struct {
		mode  Mode
		text  string
		where []string
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, f := range runtime.CheckAll(ws) {
		mode := h.cfg.PSS[f.PSSProfile]
		if f.PSSProfile == "" || mode == Off || mode == "" {
			continue
		}
		controls = append(controls, f)
		key := f.PSSProfile + "\x00" + f.PSSControl + "\x00" + f.ID
		g, ok := byKey[key]
		if !ok {
			g = &group{mode: mode, text: fmt.Sprintf("PSS %s %s (%s)", f.PSSProfile, f.PSSControl, f.ID)}
			byKey[key] = g
			groups = append(groups, g)
		}
		where := "pod"
		if f.Container != "" {
			where = "container " + f.Container
		}
		if !slices.Contains(g.where, where) {
			g.where = append(g.where, where)
		}
	}
	for _, g := range groups {
		text := g.text + ": " + strings.Join(g.where, ", ")
		if g.mode == Enforce {
			enforced = append(enforced, text)
		} else {
			warned = append(warned, text)
		}
	}
	return controls, enforced, warned
}

// clip cuts s to n bytes at a rune boundary, ending it with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
