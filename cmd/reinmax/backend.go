package main

// The pure-Go backend: no XLA, nothing fetched at run time.
import _ "github.com/gomlx/compute/gobackend"
