package apk_test

import (
	"fmt"

	"github.com/customs-scanner/customs/internal/version/apk"
)

func ExampleCompare() {
	fmt.Println(apk.Compare("1.1.1d-r2", "1.1.1g-r0"))
	fmt.Println(apk.Compare("3.6_rc1", "3.6"))
	fmt.Println(apk.Valid("6.6.2p1"), apk.Valid("6.6_p1-r0"))
	// Output:
	// -1
	// -1
	// false true
}
