"""好差评 (GB/T 39734 一次一评、一事一评): ratings, their 整改, and the figures over them."""
