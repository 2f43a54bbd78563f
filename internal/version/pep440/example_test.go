package pep440_test

import (
	"fmt"

	"github.com/customs-scanner/customs/internal/version/pep440"
)

func ExampleParse() {
	v, err := pep440.Parse("1.0-RC.1.post2+Ubuntu-1")
	if err != nil {
		panic(err)
	}
	fmt.Println(v.Normalized())
	c, _ := pep440.Compare("2.0.dev1", "2.0a1")
	fmt.Println(c)
	// Output:
	// 1.0rc1.post2+ubuntu.1
	// -1
}
