package admission

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MaxReviewBytes bounds an AdmissionReview body: an UPDATE carries the
// object and the old object, each at most etcd's 1.5 MiB, in JSON.
const MaxReviewBytes = 8 << 20

// Paths the handler serves.
const (
	ReviewPath   = "/v1/admission"
	ProviderPath = "/v1/admission/external-data"
)

// Register adds the AdmissionReview and Gatekeeper provider endpoints to
// mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+ReviewPath, h.ServeReview)
	mux.HandleFunc("POST "+ProviderPath, h.ServeProvider)
}

// ServeReview answers an AdmissionReview v1 (admission.k8s.io/v1) for a
// Pod or a pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet,
// ReplicationController, Job, CronJob), init and ephemeral containers
// included. Other kinds, subresources and operations are allowed. A body
// that is not an AdmissionReview v1 with a request and a uid is a 400
// problem; a store failure a 500, on which the API server applies the
// webhook's failurePolicy.
func (h *Handler) ServeReview(w http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := decodeBody(w, r, &review); err != nil {
		problem(w, http.StatusBadRequest, "malformed AdmissionReview", err.Error())
		return
	}
	if review.APIVersion != admissionv1.SchemeGroupVersion.String() || review.Kind != "AdmissionReview" {
		problem(w, http.StatusBadRequest, "malformed AdmissionReview",
			fmt.Sprintf("apiVersion %q, kind %q: want admission.k8s.io/v1 AdmissionReview (admissionReviewVersions: [v1])", review.APIVersion, review.Kind))
		return
	}
	req := review.Request
	if req == nil || req.UID == "" {
		problem(w, http.StatusBadRequest, "malformed AdmissionReview", "no request, or a request without a uid")
		return
	}
	resp, err := h.review(r, req)
	if err != nil {
		h.log.Error("admission: decide", "uid", req.UID, "err", err)
		problem(w, http.StatusInternalServerError, "admission decision failed", err.Error())
		return
	}
	resp.UID = req.UID
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&out)
}

func (h *Handler) review(r *http.Request, req *admissionv1.AdmissionRequest) (*admissionv1.AdmissionResponse, error) {
	allow := &admissionv1.AdmissionResponse{Allowed: true}
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return allow, nil
	}
	if req.SubResource != "" && !(req.SubResource == "ephemeralcontainers" && req.Kind.Kind == "Pod") {
		return allow, nil
	}
	containers, object, ok, err := podOf(req.Kind, req.Object.Raw)
	if err != nil {
		return &admissionv1.AdmissionResponse{Allowed: false, Result: &metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusBadRequest, Reason: metav1.StatusReasonBadRequest,
			Message: fmt.Sprintf("customs: the %s object does not decode: %v", req.Kind.Kind, err)}}, nil
	}
	if !ok {
		return allow, nil
	}
	dryRun := req.DryRun != nil && *req.DryRun
	d, err := h.Pod(r.Context(), containers, object, !dryRun)
	if err != nil {
		return nil, err
	}
	resp := &admissionv1.AdmissionResponse{Allowed: d.Allowed, Warnings: d.Warnings}
	if !d.Allowed {
		resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusForbidden,
			Reason: metav1.StatusReasonForbidden, Message: d.Message}
	}
	return resp, nil
}

// podOf reads the pod spec of an object of kind: its containers (init,
// regular, ephemeral) and the object as JSON with its apiVersion and kind
// set, for the Pod Security Standards checks. ok is false for a kind
// without a pod spec.
func podOf(kind metav1.GroupVersionKind, raw []byte) (cs []Container, object []byte, ok bool, err error) {
	if len(raw) == 0 {
		return nil, nil, false, nil
	}
	var spec *corev1.PodSpec
	var tm *metav1.TypeMeta
	switch kind.Group + "/" + kind.Kind {
	case "/Pod":
		var o corev1.Pod
		err, spec, tm = json.Unmarshal(raw, &o), &o.Spec, &o.TypeMeta
	case "/ReplicationController":
		var o corev1.ReplicationController
		err, tm = json.Unmarshal(raw, &o), &o.TypeMeta
		if o.Spec.Template != nil {
			spec = &o.Spec.Template.Spec
		}
	case "apps/Deployment":
		var o appsv1.Deployment
		err, spec, tm = json.Unmarshal(raw, &o), &o.Spec.Template.Spec, &o.TypeMeta
	case "apps/StatefulSet":
		var o appsv1.StatefulSet
		err, spec, tm = json.Unmarshal(raw, &o), &o.Spec.Template.Spec, &o.TypeMeta
	case "apps/DaemonSet":
		var o appsv1.DaemonSet
		err, spec, tm = json.Unmarshal(raw, &o), &o.Spec.Template.Spec, &o.TypeMeta
	case "apps/ReplicaSet":
		var o appsv1.ReplicaSet
		err, spec, tm = json.Unmarshal(raw, &o), &o.Spec.Template.Spec, &o.TypeMeta
	case "batch/Job":
		var o batchv1.Job
		err, spec, tm = json.Unmarshal(raw, &o), &o.Spec.Template.Spec, &o.TypeMeta
	case "batch/CronJob":
		var o batchv1.CronJob
		err, spec, tm = json.Unmarshal(raw, &o), &o.Spec.JobTemplate.Spec.Template.Spec, &o.TypeMeta
	default:
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	if spec == nil {
		return nil, nil, false, nil
	}
	for _, c := range spec.InitContainers {
		cs = append(cs, Container{Name: c.Name, Image: c.Image})
	}
	for _, c := range spec.Containers {
		cs = append(cs, Container{Name: c.Name, Image: c.Image})
	}
	for _, c := range spec.EphemeralContainers {
		cs = append(cs, Container{Name: c.Name, Image: c.Image})
	}
	object = raw
	if tm.Kind == "" {
		// The API server sends objects with their kind; the audit's
		// reader needs it, so a review without one gets it from the
		// request.
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, nil, false, err
		}
		m["kind"], m["apiVersion"] = kind.Kind, metav1.GroupVersion{Group: kind.Group, Version: kind.Version}.String()
		if object, err = json.Marshal(m); err != nil {
			return nil, nil, false, err
		}
	}
	return cs, object, true, nil
}

// decodeBody reads a JSON body of at most MaxReviewBytes into v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxReviewBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("body larger than %d bytes", MaxReviewBytes)
		}
		return fmt.Errorf("read the body: %w", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("not JSON of the expected shape: %w", err)
	}
	return nil
}

// problem writes an RFC 9457 problem.
func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": title, "status": status, "detail": detail})
}
