// Package omniglot builds our reconstruction of the 28x28 Omniglot used in VAE papers, not
// Burda et al.'s exact pixels, from the 105x105 originals.
//
// Omniglot (Lake, Salakhutdinov, Tenenbaum 2015; MIT, (c) 2015 Brenden Lake) holds 20 drawings
// of each of 1,623 characters from 50 alphabets: 964 "background" characters (30 alphabets)
// and 659 "evaluation" characters (20 alphabets). VAE papers use the 28x28 version of Burda,
// Grosse and Salakhutdinov (2016, "Importance weighted autoencoders"), 24,345 training and
// 8,070 test images, which no package publishes. This package rebuilds an equivalent from the
// originals, images_{background,evaluation}.npz, which ship inside it (embedded/, with their
// licence and provenance), so Load needs no file on disk:
//
//  1. strokes become 1 and paper 0 (the files store paper as true, strokes as false);
//  2. each 105x105 image is area-averaged to 28x28 (AreaAverage: 105/28 = 3.75 source pixels per
//     output pixel, with the exact overlap of every source pixel as its weight), so the grey
//     levels are multiples of 1/225 in [0,1];
//  3. drawings 0 to 14 of every character go to the training set and drawings 15 to 19 to the
//     test set, giving 1623*15 = 24,345 training and 1623*5 = 8,115 test images (Burda's test
//     set has 8,070: the exact split is not published, so ours is a fixed rule instead).
//
// Both sets are in character-major order: characters 0 to 963 are the background characters
// and 964 to 1622 the evaluation ones, each in the order of the .npz files, and within a
// character the drawings keep their order. Say in every result that it is this
// reconstruction, not Burda et al.'s exact pixels.
//
// Training-time validation holds out the last 1,345 training images, as the reference's
// Bernoulli-VAE code does with Burda's file (reference section 3.4): see SplitValid.
package omniglot // import "github.com/f60e9205/reinmax/data/omniglot"
