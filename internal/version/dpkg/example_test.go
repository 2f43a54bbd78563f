package dpkg_test

import (
	"fmt"

	"github.com/customs-scanner/customs/internal/version/dpkg"
)

func ExampleCompare() {
	for _, pair := range [][2]string{
		{"1.2.3-1~deb12u1", "1.2.3-1"},
		{"1:1.0", "2.0"},
		{"2.36-9+deb12u4", "2.36-9+deb12u10"},
	} {
		c, err := dpkg.Compare(pair[0], pair[1])
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(pair[0], map[int]string{-1: "<", 0: "=", 1: ">"}[c], pair[1])
	}
	// Output:
	// 1.2.3-1~deb12u1 < 1.2.3-1
	// 1:1.0 > 2.0
	// 2.36-9+deb12u4 < 2.36-9+deb12u10
}
