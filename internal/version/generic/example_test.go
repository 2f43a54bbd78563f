package generic_test

import (
	"fmt"

	"github.com/customs-scanner/customs/internal/version/generic"
)

func ExampleCompare() {
	for _, pair := range [][2]string{
		{"1.1.1w", "3.0.0"},
		{"0.9.8z", "0.9.8za"},
		{"3.11.0rc1", "3.11.0"},
		{"1.21", "1.21.0"},
	} {
		c, err := generic.Compare(pair[0], pair[1])
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(pair[0], map[int]string{-1: "<", 0: "=", 1: ">"}[c], pair[1])
	}
	// Output:
	// 1.1.1w < 3.0.0
	// 0.9.8z < 0.9.8za
	// 3.11.0rc1 < 3.11.0
	// 1.21 = 1.21.0
}
