package depcheck

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rules of customs' internal/ tree: leaves, then models, stages, pipelines
// and the front end, in the direction data flows.
var rules = map[string]Rule{
	// Leaves: no internal imports.
	"atomicfile":   {Rank: Leaf},
	"suggest":      {Rank: Leaf},
	"dockerengine": {Rank: Leaf}, // a client of the Engine API, for image and audit/runtime
	"golden":       {Rank: Leaf}, // test helpers
	"vex/vextest":  {Rank: Leaf}, // an in-process registry with referrers
	"shareddata":   {Rank: Leaf},
	"depcheck":     {Rank: Leaf},
	// Pieces of customs serve's HTTP security: problem+json errors, the
	// audit log, TLS files.
	"server/problem":  {Rank: Leaf},
	"server/auditlog": {Rank: Leaf},
	"server/certs":    {Rank: Leaf},

	// Models: data and pure logic.
	"inventory":   {Rank: Model},
	"version":     {Rank: Model},
	"version/*":   {Rank: Model, Stage: "version", Imports: []string{"version"}}, // one scheme each, none using another
	"vulndb":      {Rank: Model},
	"vulndb/cvss": {Rank: Model},
	"report":      {Rank: Model, Imports: []string{"inventory", "vulndb"}},
	"ecosystem":   {Rank: Model, Imports: []string{"inventory", "version"}}, // the descriptors every stage is handed
	"target":      {Rank: Model},                                            // a TARGET, parsed

	// Stages.
	"image":             {Rank: Stage, Imports: []string{"target"}},
	"layerfs":           {Rank: Stage, Imports: []string{"inventory"}},
	"extract":           {Rank: Stage, Imports: []string{"inventory", "ecosystem", "extract/osrelease"}},
	"extract/osrelease": {Rank: Stage, Stage: "extract", Imports: []string{"inventory"}},
	"extract/*": {Rank: Stage, Stage: "extract", Imports: []string{ // one file format each, describing its ecosystem
		"extract", "extract/osrelease", "inventory", "ecosystem", "version", "version/*"}},
	"match":             {Rank: Stage, Imports: []string{"inventory", "report", "version", "vulndb", "vulndb/cvss"}},
	"policy":            {Rank: Stage, Imports: []string{"inventory", "report", "vulndb"}},
	"vex":               {Rank: Stage, Imports: []string{"inventory", "report", "vulndb", "target"}},
	"sbom":              {Rank: Stage, Imports: []string{"inventory", "ecosystem"}},
	"audit/image":       {Rank: Stage, Imports: []string{"inventory", "report", "vulndb"}},
	"audit/secrets":     {Rank: Stage, Imports: []string{"inventory"}},
	"audit/runtime":     {Rank: Stage, Imports: []string{"inventory", "report", "vulndb"}},
	"report/*":          {Rank: Stage, Stage: "report/encoders", Imports: []string{"report", "inventory", "vulndb", "vulndb/cvss"}}, // one format each
	"report/reporttest": {Rank: Stage, Stage: "report/encoders", Imports: []string{"report", "report/json", "inventory", "vulndb"}},
	"vulndb/sqlite":     {Rank: Stage, Imports: []string{"vulndb", "vulndb/cvss"}},
	"vulndb/feeds/*": {Rank: Stage, Stage: "vulndb/feeds", Imports: []string{ // one feed each, and the helpers they share
		"vulndb", "vulndb/cvss", "version", "version/*", "vulndb/feeds/errlist", "vulndb/feeds/feedio", "vulndb/feeds/interval"}},

	// The store: what was inspected, by digest; one interface, two backends
	// over one SQL implementation, and the package opening either by DSN.
	"store":          {Rank: Stage, Imports: []string{"inventory", "report"}},
	"store/sqlstore": {Rank: Stage, Stage: "store", Imports: []string{"store", "inventory", "report"}},
	"store/sqlite":   {Rank: Stage, Stage: "store", Imports: []string{"store", "store/sqlstore"}},
	"store/postgres": {Rank: Stage, Stage: "store", Imports: []string{"store", "store/sqlstore"}},
	"store/backend":  {Rank: Stage, Stage: "store", Imports: []string{"store", "store/sqlite", "store/postgres"}},
	// Notifications of the store's changes, delivered from its outbox.
	"notify": {Rank: Stage, Stage: "store", Imports: []string{"store", "report", "vulndb"}},

	// customs serve's security middleware, which the front ends (cli,
	// server, harbor, admission) share: API tokens over the store, rate
	// and body limits, and the registry address guard.
	"server/auth":  {Rank: Pipeline, Stage: "server/security", Imports: []string{"store", "server/problem", "server/auditlog"}},
	"server/limit": {Rank: Pipeline, Stage: "server/security", Imports: []string{"server/problem"}},
	"server/guard": {Rank: Pipeline, Stage: "server/security", Imports: []string{"target"}},
	// The dashboard's sign-in and session cookie over the tokens, CSRF
	// tokens and the pages' security headers.
	"server/session": {Rank: Pipeline, Stage: "server/security", Imports: []string{"server/auth", "server/problem", "server/auditlog"}},

	// Pipelines: the scan, and building, updating and distributing the DB.
	"scan": {Rank: Pipeline, Imports: []string{
		"image", "layerfs", "extract", "extract/*", "match", "audit/image", "audit/secrets", "sbom", "policy", "vex",
		"inventory", "ecosystem", "target", "report", "version", "version/*", "vulndb", "vulndb/cvss", "vulndb/sqlite"}},
	// Re-evaluation: the scan's matching over stored inventories, recorded
	// with the notifications it queues.
	"reevaluate": {Rank: Pipeline, Stage: "scan", Imports: []string{"store", "inventory", "report", "scan", "notify"}},
	// The scanning service's core: the queue, workers running scan, the
	// scheduled DB update (no HTTP; internal/server is its front end).
	"service": {Rank: Pipeline, Stage: "scan", Imports: []string{"scan", "store", "report", "target", "vulndb", "vulndb/sqlite", "version"}},
	// Drift: a container's (or host's) changes over its image's scan.
	"drift":         {Rank: Pipeline, Stage: "scan", Imports: []string{"scan", "dockerengine", "layerfs", "report", "inventory", "target", "store", "extract/rpm", "extract/rpm/rpmdb"}},
	"vulndb/build":  {Rank: Pipeline, Stage: "vulndb/db", Imports: []string{"vulndb", "vulndb/cvss", "vulndb/feeds/*", "vulndb/sqlite"}},
	"vulndb/update": {Rank: Pipeline, Stage: "vulndb/db", Imports: []string{"vulndb", "vulndb/build", "vulndb/sqlite"}},
	"vulndb/dist":   {Rank: Pipeline, Stage: "vulndb/db", Imports: []string{"vulndb", "vulndb/sqlite"}},

	// The front end: flags in, output out.
	// The store's shared test suite drives the pipeline for real reports,
	// as a front end does.
	"store/storetest": {Rank: FrontEnd, Imports: []string{"store", "inventory", "report", "report/json", "scan", "vulndb/build", "notify", "reevaluate"}},
	// Kubernetes admission: stored reports judged by scan.Judge; policy
	// only for the names frontEndUses lists (the --fail-on severity).
	"admission": {Rank: FrontEnd, Imports: []string{"scan", "store", "report", "policy", "vulndb"}},
	// Harbor's pluggable scanner API: requests into the service's jobs,
	// reports into Harbor's; deciding is scan's.
	"harbor": {Rank: FrontEnd, Imports: []string{"service", "server/auditlog", "report", "report/json", "report/spdx", "report/cyclonedx", "vulndb"}},
	// The HTTP front end of the service.
	"server": {Rank: FrontEnd, Imports: []string{"service", "store", "report", "report/*", "server/problem"}},
	// The web dashboard: pages over the store and the service.
	"dashboard": {Rank: FrontEnd, Imports: []string{"service", "store", "report", "inventory", "vulndb", "drift"}},
	// Test images in a loopback registry, a test DB and a single-node
	// service on a SQLite store for the service's front ends' tests.
	"service/servicetest": {Rank: FrontEnd, Imports: []string{"vulndb/build", "service", "scan", "store", "store/backend"}},
	// policy, vex, vulndb/sqlite and audit/secrets only for the names
	// frontEndUses lists (loading documents, db status); never match:
	// deciding is scan's.
	"cli": {Rank: FrontEnd, Imports: []string{
		"scan", "inventory", "target", "report", "report/*", "vulndb", "vulndb/build", "vulndb/update", "vulndb/dist",
		"store", "store/backend", "notify", "reevaluate", "server/auth", "server/guard", "server/limit", "server/session", "drift", "service", "server", "dashboard", "admission",
		"version", // --version ranges and --upstream, in the schemes scan.Ecosystems gives
		"policy", "vex", "vulndb/sqlite", "audit/secrets"}},
}

// waivers are the imports that break the rules today, each to be removed
// with the import.
var waivers = []Waiver{
	// customs audit reads workloads itself: the audit is not behind a pipeline call yet.
	{"cli", "audit/runtime", "customs audit calls the runtime audit, not a pipeline"},
	{"admission", "audit/runtime", "the Pod Security Standards checks of customs audit run on the pod spec, not behind a pipeline call"},
	// customs serve starts the HTTP front end: flags in, a server out.
	{"cli", "server", "customs serve and customs worker run the HTTP front end they configure"},
	{"cli", "harbor", "customs serve mounts Harbor's scanner API on the server it runs"},
	{"cli", "dashboard", "customs serve mounts the dashboard's pages on the server it runs"},
	{"cli", "admission", "customs serve mounts the admission webhook and the Gatekeeper provider on the server it runs"},

	// Stages that use a sibling's types or code.
	{"extract", "layerfs", "the walker takes layerfs's Layer and FS, not an interface of its own"},
	{"extract/gobinary", "extract/cargo", "Rust binaries' cargo-auditable section is decoded by cargo's code"},
	{"audit/image", "image", "the config checks take image.Metadata"},
	{"audit/image", "layerfs", "the file checks take layerfs.FS"},
	{"audit/image", "audit/secrets", "the config is scanned for secrets with the secret rules"},
	{"audit/secrets", "extract", "the secret scanner joins the layer walk as an Extractor"},
	{"audit/secrets", "extract/osrelease", "the scanner leaves the os-release files to OS detection"},
	{"audit/secrets", "layerfs", "Collect and LayerScan.Result read layerfs's Layer and FS"},
	{"report/cyclonedx", "report/spdx", "CycloneDX reuses the SPDX license handling"},
	{"version/hex", "version/cargo", "Hex versions are compared by cargo's SemVer code"},
}

func TestDependencyRules(t *testing.T) {
	g, err := Load("..", "github.com/customs-scanner/customs/internal")
	if err != nil {
		t.Fatal(err)
	}
	if len(g) < 40 {
		t.Fatalf("loaded %d packages, want the whole internal tree", len(g))
	}
	for _, err := range Check(g, rules, waivers) {
		t.Error(err)
	}
}

// TestCheckFindsViolations runs Check over a small module tree in testdata
// that breaks each rule on purpose.
func TestCheckFindsViolations(t *testing.T) {
	g, err := Load(filepath.Join("testdata", "tree"), "example.test/tree")
	if err != nil {
		t.Fatal(err)
	}
	wantGraph := Graph{
		"atomicfile":   {},
		"extract":      {"inventory"},
		"extract/apk":  {"extract"},
		"extract/dpkg": {"extract", "extract/apk"},
		"inventory":    {},
		"match":        {"inventory", "report"},
		"policy":       {"match"},
		"report":       {"inventory", "match"},
		"scan":         {"atomicfile", "extract", "extract/dpkg", "match", "policy", "vex"},
		"stray":        {},
		"vex":          {"report"},
	}
	if diff := cmp.Diff(wantGraph, g); diff != "" {
		t.Fatalf("Load (-want +got):\n%s", diff)
	}
	rules := map[string]Rule{
		"atomicfile": {Rank: Leaf},
		"inventory":  {Rank: Model},
		// Too generous: a model that imports a stage.
		"report":    {Rank: Model, Imports: []string{"inventory", "match"}},
		"extract":   {Rank: Stage, Imports: []string{"inventory"}},
		"extract/*": {Rank: Stage, Stage: "extract", Imports: []string{"extract"}},
		"match":     {Rank: Stage, Imports: []string{"inventory", "report"}},
		"policy":    {Rank: Stage, Imports: []string{"report"}},
		"vex":       {Rank: Stage, Imports: []string{"report"}},
		"scan":      {Rank: Pipeline, Imports: []string{"extract", "extract/*", "match", "policy", "vex"}},
		"gone":      {Rank: Stage},
	}
	waivers := []Waiver{{"vex", "inventory", "an import that was removed"}}
	var got []string
	for _, err := range Check(g, rules, waivers) {
		got = append(got, err.Error())
	}
	want := []string{
		// A format importing a sibling format.
		"extract/dpkg imports extract/apk: extract/dpkg may not import its sibling extract/apk (stage extract, rule extract/*)",
		// A stage importing a sibling stage.
		"policy imports match: the stage policy may not import the stage match",
		// Allowed imports that lead a model, and a stage through it, to a stage.
		"report depends on match (report -> match): the model report may not depend on the stage match",
		"rule gone: covers no package; remove it",
		"stray: no dependency rule covers it; add one",
		"vex depends on match (vex -> report -> match): the stage vex may not depend on the stage match",
		"waiver vex -> inventory: no such import; remove the waiver",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Check (-want +got):\n%s", diff)
	}
	// Waiving the sibling imports silences them, and only them.
	waivers = []Waiver{{"extract/dpkg", "extract/apk", ""}, {"policy", "match", ""}}
	got = got[:0]
	for _, err := range Check(g, rules, waivers) {
		got = append(got, err.Error())
	}
	want = []string{
		"report depends on match (report -> match): the model report may not depend on the stage match",
		"rule gone: covers no package; remove it",
		"stray: no dependency rule covers it; add one",
		"vex depends on match (vex -> report -> match): the stage vex may not depend on the stage match",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Check with waivers (-want +got):\n%s", diff)
	}
}
