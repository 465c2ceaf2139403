"""What the quantization passes share: calibration, range rules, bias correction, weight access."""
