package rpm_test

import (
	"fmt"

	"github.com/customs-scanner/customs/internal/version/rpm"
)

func ExampleScheme() {
	var s rpm.Scheme
	a, _ := s.Parse("1:1.0~rc1-1.el9")
	b, _ := s.Parse("1.1-1.el9")
	fmt.Println(a.Compare(b), rpm.Vercmp("1.0^git1", "1.0"), rpm.Vercmp("1.0~rc1", "1.0"))
	// Output: 1 1 -1
}
