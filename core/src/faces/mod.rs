pub mod maestro;
