/* termbook renders formulas as MathML at build time; mkdocs-jupyter loads this instead of MathJax. */
