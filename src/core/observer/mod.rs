//! Observers and calibration algorithms (spec §5): minmax, percentile, kl, mse, isotone, constant.
