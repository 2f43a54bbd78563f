package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// testDrift records drift reports of a container of a stored image (by
// its image ID), of a container of an image the store does not hold, and
// of a stored host against its snapshot; Drifts finds each by the
// subject's names, the image ID compared with, the container's name, ID
// and short ID, and the host's name; DriftReport gives the report back as recorded.
func testDrift(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	img := record(t, s, store.Input{Report: fx.Debian, Now: t0})
	host := &store.Host{MachineID: "4c4c4544004e3610804cb8c04f4e3133", Hostname: "vm-3"}
	hr := *fx.Debian
	hr.Target = report.Target{Ref: "dir:/", Kind: "rootfs"}
	hostRec := record(t, s, store.Input{Report: &hr, Host: host, Now: t0})

	const cid = "5f1c0a9e7b3d4c2a8e6f0b1d3c5a7e9f1b3d5c7a9e0f2b4d6c8a0e1f3b5d7c9a"
	web := store.DriftRecord{
		TargetKind: "container", TargetRef: "docker:web", TargetID: cid, TargetName: "web",
		AgainstRef: "docker:" + fx.Debian.Target.Ref, AgainstKind: "image", AgainstImageID: fx.Debian.Target.ImageID,
		CreatedAt: t0.Add(time.Hour), Tool: "customs test", Items: 3,
		BySeverity: map[string]int{"CRITICAL": 1, "HIGH": 1, "NEGLIGIBLE": 1}, ByKind: map[string]int{"preload": 1, "integrity": 1, "file-added": 1},
	}
	doc := json.RawMessage(`{"schemaVersion":"1.0","target":{"ref":"docker:web"},"drift":[{"kind":"preload","severity":"CRITICAL"}]}`)
	got, err := s.RecordDrift(ctx, store.DriftInput{Record: web, Report: doc, Now: t0.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == 0 || got.Subject == nil || got.Subject.Digest != img.Subject.Digest || !got.RecordedAt.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("RecordDrift = %+v; want an ID, the image %s as subject, recorded at %v", got, img.Subject.Digest, t0.Add(2*time.Hour))
	}
	// A container of an image the store does not hold: no subject.
	other := web
	other.TargetRef, other.TargetID, other.TargetName, other.AgainstImageID = "docker:cron", "77"+cid[2:], "cron", "sha256:0000"
	other.Items, other.BySeverity, other.ByKind = 0, nil, nil
	orphan, err := s.RecordDrift(ctx, store.DriftInput{Record: other, Report: json.RawMessage(`{"drift":[]}`), Now: t0.Add(3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if orphan.Subject != nil {
		t.Errorf("drift of an image the store does not hold has subject %+v", orphan.Subject)
	}
	// A host against its stored snapshot.
	vm := store.DriftRecord{TargetKind: "host", TargetRef: "dir:/", TargetID: host.MachineID, TargetName: "vm-3",
		AgainstRef: "store:vm-3", AgainstKind: "snapshot", AgainstSnapshot: hostRec.Snapshot, CreatedAt: t0.Add(4 * time.Hour), Tool: "customs test",
		Items: 1, BySeverity: map[string]int{"MEDIUM": 1}, ByKind: map[string]int{"package-added": 1}}
	hostDrift, err := s.RecordDrift(ctx, store.DriftInput{Record: vm, Report: json.RawMessage(`{"drift":[{"kind":"package-added"}]}`), Now: t0.Add(4 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if hostDrift.Subject == nil || hostDrift.Subject.Kind != store.KindHost || hostDrift.Subject.Digest != host.MachineID {
		t.Errorf("host drift subject %+v, want the host %s", hostDrift.Subject, host.MachineID)
	}

	ignore := cmpopts.IgnoreFields(store.DriftRecord{}, "Subject")
	for _, tc := range []struct {
		name string
		want []store.DriftRecord
	}{
		{img.Subject.Digest, []store.DriftRecord{got}},
		{fx.Debian.Target.ImageID, []store.DriftRecord{got}},
		{"sha256:0000", []store.DriftRecord{orphan}},
		{"web", []store.DriftRecord{got}},
		{cid, []store.DriftRecord{got}},
		{cid[:12], []store.DriftRecord{got}},
		{"cron", []store.DriftRecord{orphan}},
		{"vm-3", []store.DriftRecord{hostDrift}},
		{host.MachineID, []store.DriftRecord{hostDrift}},
		{"nothing", nil},
	} {
		ds, err := s.Drifts(ctx, tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, ds, ignore, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Drifts(%s) (-want +got):\n%s", tc.name, diff)
		}
		for _, d := range ds {
			if (d.Subject == nil) != (d.ID == orphan.ID) {
				t.Errorf("Drifts(%s): drift %d has subject %+v", tc.name, d.ID, d.Subject)
			}
		}
	}
	if ds, _ := s.Drifts(ctx, img.Subject.Name); len(ds) != 1 || ds[0].ID != got.ID {
		t.Errorf("Drifts(%s) = %+v, want the drift of web", img.Subject.Name, ds)
	}

	back, err := s.DriftReport(ctx, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	var a, w any
	if err := json.Unmarshal(back, &a); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(doc, &w)
	if diff := cmp.Diff(w, a); diff != "" {
		t.Errorf("DriftReport (-want +got):\n%s", diff)
	}
	if _, err := s.DriftReport(ctx, got.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DriftReport of no report: %v, want ErrNotFound", err)
	}
	if _, err := s.RecordDrift(ctx, store.DriftInput{Record: web, Report: json.RawMessage(`{not json`)}); err == nil {
		t.Error("recorded a report that is not JSON")
	}
}
