"""DMN: decision requirements graphs (DMN 1.2 to 1.5 XML), decision tables with every hit
policy, literal expressions and required decisions, evaluated with the engine's FEEL."""
