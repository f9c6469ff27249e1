// Prints golang.org/x/mod/sumdb/dirhash.HashZip(zip, Hash1) for each argument: Terraform's h1: of a package.
package main

import (
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/dirhash"
)

func main() {
	for _, f := range os.Args[1:] {
		h, err := dirhash.HashZip(f, dirhash.Hash1)
		fmt.Printf("%s %s %v\n", f, h, err)
	}
}
