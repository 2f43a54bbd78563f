package runtime_test

import (
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/audit/runtime"
	"github.com/customs-scanner/customs/internal/report"
)

// Audit a Compose service, then add what the image scan knows.
func Example() {
	compose := []byte(`services:
  ci:
    image: docker:27-cli
    read_only: true
    user: "1000"
    cap_drop: [ALL]
    security_opt: [no-new-privileges:true]
    mem_limit: 256m
    cpus: 1
    pids_limit: 100
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
`)
	ws, err := runtime.Parse("", "compose.yaml", compose)
	if err != nil {
		panic(err)
	}
	fs := runtime.Check(&ws[0])
	fs = runtime.Join(fs, ws[0], report.ImageFacts{User: "root", RunsAsRoot: true, HasShell: true, HasDockerCLI: true})
	for _, f := range fs {
		fmt.Println(f.Impact, f.Severity, f.ID, "|", strings.Join(f.Evidence, "; "))
	}
	// Output:
	// host-escape CRITICAL CIS-DOCKER-5.32 | services.ci.volumes[0]: /var/run/docker.sock:/var/run/docker.sock
	// host-escape CRITICAL CUSTOMS-JOIN-DOCKER-CLI-SOCKET | services.ci.volumes[0]: /var/run/docker.sock; image has the docker CLI
}
