"""What the tfl passes share for rewriting IR: op sweeps, constants, activations, biases."""
