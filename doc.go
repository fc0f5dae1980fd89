// Package reinmax provides gradient estimators for networks that contain discrete random choices.
package reinmax // import "github.com/f60e9205/reinmax"
