package npm_test

import (
	"fmt"

	"github.com/customs-scanner/customs/internal/version/npm"
)

func ExampleSatisfies() {
	ok, err := npm.Satisfies("1.4.2", "^1.2.3 || >=3.0.0-rc.1")
	fmt.Println(ok, err)
	ok, _ = npm.Satisfies("2.0.0-rc.1", "^1.2.3")
	fmt.Println(ok)
	// Output:
	// true <nil>
	// false
}
