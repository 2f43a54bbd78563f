// Package kubernetes holds customs' Kubernetes manifests; its test decodes
// them with the Kubernetes API types and holds them to what customs
// serves.
package kubernetes

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/customs-scanner/customs/internal/admission"
	"github.com/customs-scanner/customs/internal/audit/runtime"
)

// manifests are the objects of every YAML file here, decoded strictly (an
// unknown or misspelt field fails) into the API type of their kind.
type manifests struct {
	namespaces   []corev1.Namespace
	accounts     []corev1.ServiceAccount
	deployments  []appsv1.Deployment
	services     []corev1.Service
	webhooks     []admissionregistrationv1.ValidatingWebhookConfiguration
	certificates []unstructured.Unstructured
	providers    []unstructured.Unstructured
	raw          map[string][]byte // file -> content
}

func load(t *testing.T) *manifests {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	m := &manifests{raw: map[string][]byte{}}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m.raw[file] = data
		for i, doc := range bytes.Split(data, []byte("\n---\n")) {
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s document %d: %v", file, i+1, err)
			}
			strict := func(v any) {
				t.Helper()
				if err := yaml.UnmarshalStrict(doc, v); err != nil {
					t.Fatalf("%s document %d (%s): %v", file, i+1, tm.Kind, err)
				}
			}
			switch tm.APIVersion + " " + tm.Kind {
			case "v1 Namespace":
				var o corev1.Namespace
				strict(&o)
				m.namespaces = append(m.namespaces, o)
			case "v1 ServiceAccount":
				var o corev1.ServiceAccount
				strict(&o)
				m.accounts = append(m.accounts, o)
			case "apps/v1 Deployment":
				var o appsv1.Deployment
				strict(&o)
				m.deployments = append(m.deployments, o)
			case "v1 Service":
				var o corev1.Service
				strict(&o)
				m.services = append(m.services, o)
			case "admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration":
				var o admissionregistrationv1.ValidatingWebhookConfiguration
				strict(&o)
				m.webhooks = append(m.webhooks, o)
			case "cert-manager.io/v1 Issuer", "cert-manager.io/v1 Certificate":
				var o unstructured.Unstructured
				strict(&o.Object)
				m.certificates = append(m.certificates, o)
			case "externaldata.gatekeeper.sh/v1beta1 Provider":
				var o unstructured.Unstructured
				strict(&o.Object)
				m.providers = append(m.providers, o)
			default:
				t.Fatalf("%s document %d: unexpected %s %s", file, i+1, tm.APIVersion, tm.Kind)
			}
		}
	}
	return m
}

// TestManifests holds the Deployment, the Service and the webhook to one
// another and to the paths customs serves.
func TestManifests(t *testing.T) {
	m := load(t)
	if len(m.deployments) != 1 || len(m.services) != 1 || len(m.webhooks) != 1 || len(m.namespaces) != 1 || len(m.providers) != 1 {
		t.Fatalf("want one Namespace, Deployment, Service, ValidatingWebhookConfiguration and Provider")
	}
	ns, d, svc, vwc := m.namespaces[0], m.deployments[0], m.services[0], m.webhooks[0]

	// The Deployment runs customs serve in the namespace, its pods
	// selected by the Service.
	if d.Namespace != ns.Name || svc.Namespace != ns.Name {
		t.Errorf("Deployment in %q, Service in %q, want both in %q", d.Namespace, svc.Namespace, ns.Name)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("the Deployment's selector does not select its pods: %v", err)
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Error("the Service does not select the Deployment's pods")
	}
	c := d.Spec.Template.Spec.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Errorf("container args %q, want customs serve", c.Args)
	}
	if len(svc.Spec.Ports) != 1 || !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == svc.Spec.Ports[0].TargetPort.String() }) {
		t.Errorf("the Service's targetPort %v is not a port of the container", svc.Spec.Ports)
	}
	if !slices.Contains(c.Args, "--listen=0.0.0.0:8443") || c.Ports[0].ContainerPort != 8443 {
		t.Errorf("customs serve listens elsewhere than the container port: %q %v", c.Args, c.Ports)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Error("want /readyz and /healthz probes")
	}

	// customs' pods pass the Pod Security Standards restricted profile,
	// which their namespace enforces, by customs audit's own checks.
	ws, err := runtime.ParseKubernetes("deployment.yaml", m.raw["deployment.yaml"])
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range runtime.CheckAll(ws) {
		if f.PSSProfile != "" {
			t.Errorf("deployment.yaml: %s %s", f.ID, f.Evidence)
		}
	}
	if ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Error("customs' namespace does not enforce the restricted profile")
	}

	// The webhook.
	if len(vwc.Webhooks) != 1 {
		t.Fatalf("%d webhooks, want 1", len(vwc.Webhooks))
	}
	w := vwc.Webhooks[0]
	if !slices.Contains(w.AdmissionReviewVersions, "v1") {
		t.Errorf("admissionReviewVersions %q, want v1 (customs answers v1 only)", w.AdmissionReviewVersions)
	}
	if w.SideEffects == nil || *w.SideEffects != admissionregistrationv1.SideEffectClassNoneOnDryRun {
		t.Error("sideEffects: want NoneOnDryRun (customs enqueues scans, except on dry runs)")
	}
	if w.FailurePolicy == nil || w.TimeoutSeconds == nil || *w.TimeoutSeconds < 1 || *w.TimeoutSeconds > 30 {
		t.Error("want an explicit failurePolicy and timeoutSeconds within 1-30")
	}
	s := w.ClientConfig.Service
	if s == nil || s.Name != svc.Name || s.Namespace != svc.Namespace || s.Path == nil || *s.Path != admission.ReviewPath ||
		s.Port == nil || *s.Port != svc.Spec.Ports[0].Port {
		t.Errorf("clientConfig.service %+v does not name the Service's port and %s", s, admission.ReviewPath)
	}
	// TLS: cert-manager injects the CA of the serving certificate, which
	// names the Service and is the secret the Deployment mounts.
	inject := vwc.Annotations["cert-manager.io/inject-ca-from"]
	var cert *unstructured.Unstructured
	for i, o := range m.certificates {
		if o.GetKind() == "Certificate" && o.GetNamespace()+"/"+o.GetName() == inject {
			cert = &m.certificates[i]
		}
	}
	if cert == nil {
		t.Fatalf("cert-manager.io/inject-ca-from %q names no Certificate", inject)
	}
	dns, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
	secret, _, _ := unstructured.NestedString(cert.Object, "spec", "secretName")
	if !slices.Contains(dns, svc.Name+"."+svc.Namespace+".svc") {
		t.Errorf("the certificate's dnsNames %q lack the Service's name", dns)
	}
	if !slices.ContainsFunc(d.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Secret != nil && v.Secret.SecretName == secret }) {
		t.Errorf("the Deployment does not mount the certificate's secret %q", secret)
	}

	// Every kind customs decides is matched, on create and update.
	want := map[string][]string{"": {"pods", "pods/ephemeralcontainers", "replicationcontrollers"},
		"apps": {"deployments", "statefulsets", "daemonsets", "replicasets"}, "batch": {"jobs", "cronjobs"}}
	for group, resources := range want {
		for _, res := range resources {
			if !slices.ContainsFunc(w.Rules, func(r admissionregistrationv1.RuleWithOperations) bool {
				return slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, res) &&
					slices.Contains(r.Operations, admissionregistrationv1.Create) && slices.Contains(r.Operations, admissionregistrationv1.Update)
			}) {
				t.Errorf("no rule for %s/%s on CREATE and UPDATE", group, res)
			}
		}
	}
	// Namespace exclusions: the cluster's own and customs' namespace.
	nsSel, err := metav1.LabelSelectorAsSelector(w.NamespaceSelector)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"kube-system": false, ns.Name: false, "kube-node-lease": false, "default": true, "shop": true} {
		if got := nsSel.Matches(labels.Set{"kubernetes.io/metadata.name": name}); got != want {
			t.Errorf("namespace %s: webhook applies %v, want %v", name, got, want)
		}
	}
	if nsSel.Matches(labels.Set{"kubernetes.io/metadata.name": "shop", "customs.dev/admission": "disabled"}) {
		t.Error("a namespace labelled customs.dev/admission=disabled is not excluded")
	}

	// The Gatekeeper provider calls the Service at the provider's path.
	url, _, _ := unstructured.NestedString(m.providers[0].Object, "spec", "url")
	if want := "https://" + svc.Name + "." + svc.Namespace + ".svc:443" + admission.ProviderPath; url != want {
		t.Errorf("provider url %q, want %q", url, want)
	}
	if !strings.HasPrefix(m.providers[0].GetAPIVersion(), "externaldata.gatekeeper.sh/") {
		t.Error("provider apiVersion")
	}
}
