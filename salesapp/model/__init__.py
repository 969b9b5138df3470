"""Qt-free modelling: the file schema, synthetic data, features, training, the bundle, the Predictor."""
